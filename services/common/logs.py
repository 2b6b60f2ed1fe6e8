"""JSON logs, one object a line, carrying the correlation id of the work in hand."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


# json.dumps(..., default=str) builds an encoder for every line
_encode = json.JSONEncoder(default=str).encode


class JsonFormatter(logging.Formatter):
    def __init__(self, process_name: str):
        super().__init__()
        self.process_name = process_name
        self._second: tuple[int, str] = (-1, "")  # the last whole second written, as text

    def _time(self, record: logging.LogRecord) -> str:
        """The record's time, UTC to the millisecond; the second's text made once per second (an api
        writes a line per call)."""
        whole = int(record.created)
        second, text = self._second
        if whole != second:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
            self._second = (whole, text)
        return f"{text}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": self._time(record),
            "level": record.levelname.lower(),
            "process": self.process_name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = getattr(record, "correlationid", None) or correlation_id.get()
        if cid:
            entry["correlationid"] = cid
        for key in ("event_id", "event_type", "trustods", "method", "code", "queue", "attempt"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # the type and message only: a stack trace can carry values from the request
            entry["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return _encode(entry)


def configure_logging(process_name: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # what a record would gather and the JSON line never writes (its caller's file and line, thread,
    # process): not gathered, a third of the cost of an api's line per call. _srcfile = None is the
    # logging module's own switch for the caller (see its comment)
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None  # type: ignore[attr-defined]
    root.setLevel(level)
    # a warning becomes a log line like any other (warnings.showwarning would print several lines)
    logging.captureWarnings(True)
    for noisy in ("amqp", "kombu", "nameko", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # an error nothing caught, in any thread, is a log line too, not a multi-line traceback
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    logging.getLogger("plr.crash").critical("stopped by an error nothing caught", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if issubclass(args.exc_type, SystemExit) or args.exc_value is None:  # as the default hook does
        return
    name = args.thread.name if args.thread is not None else "?"
    crash = (args.exc_type, args.exc_value, args.exc_traceback)
    logging.getLogger("plr.crash").error("thread %s stopped by an error nothing caught", name, exc_info=crash)


@contextmanager
def correlated(cid: str | None) -> Iterator[None]:
    token = correlation_id.set(cid)
    try:
        yield
    finally:
        correlation_id.reset(token)
