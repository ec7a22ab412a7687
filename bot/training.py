"""The trained Rasa model: a fingerprint of everything that shapes it, and training
only when that fingerprint has no model yet (`python -m bot train`)."""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.config import ROOT_DIR, load_settings

# Inputs of training: change any of them and the model is retrained.
MODEL_INPUTS = ["config.yml", "domain.yml", "nlu_data", "bot/nlu"]


def data_fingerprint(root: Path = ROOT_DIR) -> str:
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(models_dir: Path | None = None) -> Path:
    models_dir = models_dir or load_settings().models_dir
    return models_dir / f"parcel-{data_fingerprint()}.tar.gz"


def ensure_model(force: bool = False) -> Path:
    """Return the model for the current data, training it first if it is missing."""
    target = model_path()
    if target.exists() and not force:
        print(f"==> Model is up to date: {target}", flush=True)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"==> Training the Rasa model (data changed) -> {target}", flush=True)
    started = time.monotonic()
    cmd = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "nlu_data",
        "--out",
        str(target.parent),
        "--fixed-model-name",
        target.name[: -len(".tar.gz")],
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    subprocess.run(cmd, cwd=ROOT_DIR, env=env, check=True)
    print(f"==> Trained in {time.monotonic() - started:.0f} s", flush=True)
    for old in target.parent.glob("parcel-*.tar.gz"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("train", help="train the Rasa model if the data changed")
    parser.add_argument("--force", action="store_true", help="train even if a model exists")
    parser.add_argument("--print-path", action="store_true", help="only print the model path")

    def handler(args: argparse.Namespace) -> int:
        if args.print_path:
            print(model_path())
            return 0
        ensure_model(force=args.force)
        return 0

    parser.set_defaults(handler=handler)
