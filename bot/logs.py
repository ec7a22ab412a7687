"""Logging of every process we run (gateway, action server, command line): one line per
record, and the whole formatted record (message, traceback, stack) masked before it is
written: phones, ID numbers, e-mail addresses, names, addresses, pickup codes and
credentials (`secret=`, `access_token=`, bearer tokens) never reach a log file."""

from __future__ import annotations

import logging
import sys
import threading
from typing import IO

from bot.pii import mask_log_text

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFormatter(logging.Formatter):
    """A Formatter whose output is masked as a whole (tracebacks included).

    The first masking loads jieba and spaCy, which log themselves from inside the masker:
    those few start-up records (library messages, no customer data) are masked with the
    regular expressions only instead of waiting for the masker they came from."""

    _inside = threading.local()

    def format(self, record: logging.LogRecord) -> str:
        # exc_text is cached on the record: render it here so no other formatter reuses an unmasked copy.
        text = super().format(record)
        record.exc_text = None
        if getattr(self._inside, "active", False):
            from bot.pii import _mask_regex_data, mask_credentials

            return mask_credentials(_mask_regex_data(text))
        self._inside.active = True
        try:
            return mask_log_text(text)
        finally:
            self._inside.active = False


def masking_handler(stream: IO[str] | None = None, fmt: str = LOG_FORMAT) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(MaskingFormatter(fmt))
    return handler


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """Root logging through one masking handler; noisy libraries at WARNING."""
    handler = masking_handler(stream)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("engineio", "socketio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def mask_existing_handlers(logger: logging.Logger | None = None) -> None:
    """Make the handlers a library installed (Sanic, rasa_sdk) write masked records,
    keeping their own format."""
    targets = (
        [logger]
        if logger is not None
        else [logging.getLogger()] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    )
    for target in targets:
        if not isinstance(target, logging.Logger):
            continue
        for handler in target.handlers:
            if not isinstance(handler.formatter, MaskingFormatter):
                current = handler.formatter
                fmt = current._fmt if current is not None else LOG_FORMAT
                datefmt = current.datefmt if current is not None else None
                handler.setFormatter(MaskingFormatter(fmt, datefmt))
