"""Logs as JSON lines on stderr (API.md, People, operations and deployment).

One JSON object a line, with the keys API.md names: `time`, `level`, `event`,
`request_id`, `actor`, `method`, `route`, `status`, `duration_ms`, and for commands
`aggregate_id` and `position`. A line carries only what a logging call hands over under
those keys (and `code`, `command`, `message`, `exception`): never a header, a body or a
token, so nothing personal reaches the log by accident.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# The keys a line may carry besides time, level and event, in the order written.
FIELDS = (
    "request_id",
    "actor",
    "method",
    "route",
    "status",
    "duration_ms",
    "command",
    "code",
    "aggregate_id",
    "position",
)


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or record.getMessage(),
            "logger": record.name,
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if line["event"] != record.getMessage():
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """The `logging.config.dictConfig` of `mops serve` (uvicorn's `log_config`).

    Every logger writes JSON lines to stderr; uvicorn's access log is off, since the
    request log of `interfaces/http/middleware.py` writes one line a request in its place.
    """
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
