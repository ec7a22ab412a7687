"""Shared test configuration."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print the NLU / story figures measured by tests/rasa/test_model.py."""
    try:
        from tests.rasa.test_model import FIGURES
    except ImportError:
        return
    if not FIGURES:
        return
    terminalreporter.section("NLU and test-conversation figures")
    for key, value in FIGURES.items():
        if isinstance(value, dict):
            terminalreporter.write_line(f"{key}:")
            for k, v in value.items():
                terminalreporter.write_line(f"    {k}: {v}")
        else:
            terminalreporter.write_line(f"{key}: {value}")
