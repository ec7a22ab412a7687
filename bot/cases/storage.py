"""Where evidence files live. `EVIDENCE_STORAGE=local` keeps them under
DATA_DIR/evidence (`local:/some/dir` elsewhere); the interface (`put`, `read`, `delete`)
is all the case desk uses, so an S3-compatible store can take its place with the same
keys (`<case id>/<random>.<ext>`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

from bot.config import Settings


class EvidenceStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalEvidenceStore:
    """Files under a directory; keys are relative paths made by `new_key` (never from the client)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"bad storage key {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".part")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def new_key(case_id: int, extension: str) -> str:
    return f"{int(case_id)}/{secrets.token_hex(12)}.{extension}"


def evidence_store(settings: Settings) -> EvidenceStore:
    spec = settings.evidence_storage.strip() or "local"
    if spec == "local":
        return LocalEvidenceStore(Path(settings.data_dir) / "evidence")
    if spec.startswith("local:"):
        return LocalEvidenceStore(Path(spec[len("local:") :]))
    raise ValueError(f"EVIDENCE_STORAGE={spec!r}: only 'local' or 'local:/dir' are built in")
