"""Structured logging: JSON in production, readable on a terminal; context bound per message and request."""
from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

_SECRET_KEYS = {"password", "secret", "token", "credential", "contact", "phone", "email", "id_card"}


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event_dict[key] = "***"
    return event_dict


# Libraries that log through the standard library; faststream's own logger has a coloured handler of its own and
# does not propagate: it is pointed at the root handler like the others.
LIBRARY_LOGGERS = ("faststream", "aiokafka", "uvicorn", "uvicorn.error", "uvicorn.access", "pymongo", "httpx")


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when a record comes (a test's capture, a redirected stream)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    """structlog for the services' own logs, and the same renderer for the standard library's records (aiokafka,
    uvicorn, faststream, pymongo) through one root handler: with fmt="json" every line on stderr is JSON."""
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        # sys.stderr is read at each log call, not at configure time: a stream swapped in and closed since (a test's
        # captured stderr, a redirected worker) must not break every later log line.
        logger_factory=lambda *_args: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            stamp,
            _redact,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_exemplar", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler._exemplar = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in LIBRARY_LOGGERS:
        lib = logging.getLogger(name)
        for h in [h for h in lib.handlers if isinstance(h, logging.StreamHandler)]:
            lib.removeHandler(h)
        lib.propagate = True


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
