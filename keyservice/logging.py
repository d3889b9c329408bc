"""A logging filter that redacts anything key-shaped before it reaches a log line.

The public API's GET endpoints take `apikey` in the query string (as the hosted platform
documents), so request lines would otherwise carry keys into logs.
"""

import json
import logging
import re
from urllib.parse import unquote_plus

_SECRET = re.compile(
    r"(?P<key>(?:spx|kst)_[0-9A-Za-z]{8,})"
    r"|(?P<param>(?:apikey|apiKey)=)[^&\s\"']+"
    r"|(?P<bearer>Bearer\s+)[^\s\"']+",
    re.IGNORECASE,
)
# Percent-encoding is undone this many times at most (`%2561` is `%61` is `a`); text still
# encoded after that is treated as hiding a secret.
MAX_DECODE_ROUNDS = 4
_ENCODED_TOKEN = re.compile(r"[^\s\"'&]*%[0-9A-Fa-f]{2}[^\s\"'&]*")


def _redact_plain(text: str) -> str:
    def replace(match: re.Match) -> str:
        if match.group("param"):
            return match.group("param") + "[redacted]"
        if match.group("bearer"):
            return match.group("bearer") + "[redacted]"
        return "[redacted-key]"

    return _SECRET.sub(replace, text)


def _decoded(text: str) -> tuple[str, bool]:
    """`text` with percent-encoding (and `+` for space) undone until nothing changes, at most
    MAX_DECODE_ROUNDS times; whatever is still encoded then is replaced by `[redacted]`
    (the flag says so)."""
    for _ in range(MAX_DECODE_ROUNDS):
        decoded = unquote_plus(text)
        if decoded == text:
            return text, False
        text = decoded
    if unquote_plus(text) == text:
        return text, False
    return _ENCODED_TOKEN.sub("[redacted]", text), True


def redact(text: str) -> str:
    """Keys, `apikey=` values and bearer tokens replaced, however they are percent-encoded
    (`ap%69key=`, `apikey%3D`, `spx%5F…`, `Bearer+…`). The line keeps its original form when
    that form hides nothing; otherwise the decoded form is logged, redacted."""
    cleaned = _redact_plain(text)
    if "%" not in cleaned and "+" not in cleaned:
        return cleaned
    decoded, over_encoded = _decoded(cleaned)
    redacted = _redact_plain(decoded)
    return redacted if over_encoded or redacted != decoded else cleaned


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
