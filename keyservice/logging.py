"""A logging filter that redacts anything key-shaped before it reaches a log line.

The public API's GET endpoints take `apikey` in the query string (as the hosted platform
documents), so request lines would otherwise carry keys into logs.
"""

import json
import logging
import re

_SECRET = re.compile(
    r"(?P<key>(?:spx|kst)_[0-9A-Za-z]{8,})"
    r"|(?P<param>(?:apikey|apiKey)=)[^&\s\"']+"
    r"|(?P<bearer>Bearer\s+)[^\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    def replace(match: re.Match) -> str:
        if match.group("param"):
            return match.group("param") + "[redacted]"
        if match.group("bearer"):
            return match.group("bearer") + "[redacted]"
        return "[redacted-key]"

    return _SECRET.sub(replace, text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (DJANGO_LOG_FORMAT=json), for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
