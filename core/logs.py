"""One log hygiene mechanism for every logger (Django's and gunicorn's): secrets redacted,
control characters escaped.

- Redaction: API keys (the configured KEYSERVICE_KEY_PREFIX, and any `<prefix>` whose CRC
  checksum matches: the key shape of apikeys.crypto), service tokens (`kst_`), `apikey=`
  values and bearer tokens, however they are percent-encoded. The public API's GET endpoints
  take `apikey` in the query string, so request lines would otherwise carry keys into logs.
- Escaping: a log record is one line. CR, LF, NUL and every other control character in a
  message is written escaped (`\\n`, `\\x00`), so a `%0a` in a request path cannot forge a log
  line; traceback lines are indented, so none can look like the start of a record.

This module imports no Django at import time: gunicorn's master process uses it before (and
without) Django's settings.
"""

from __future__ import annotations

import json
import logging
import os
import re
from functools import lru_cache
from urllib.parse import unquote_plus

from core.base62 import CHECKSUM_CHARS, crc_checksum

DEFAULT_KEY_PREFIX = "spx_"
SERVICE_TOKEN_PREFIX = "kst_"  # noqa: S105  (a prefix, not a secret)
_KEY_CHARS = 43  # apikeys.crypto.RANDOM_CHARS
_MAX_PREFIX = 32
# Percent-encoding is undone this many times at most (`%2561` is `%61` is `a`); text still
# encoded after that is treated as hiding a secret.
MAX_DECODE_ROUNDS = 4
# Text still percent-encoded after MAX_DECODE_ROUNDS is redacted token by token: a token is a
# run of characters between delimiters (whitespace, quotes, `&`), found in one pass.
_TOKEN_DELIMITERS = re.compile(r"([\s\"'&]+)")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_SHAPED = re.compile(rf"[0-9A-Za-z]{{{_KEY_CHARS + CHECKSUM_CHARS},}}(?![0-9A-Za-z])")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def configured_key_prefix() -> str:
    """settings.KEYSERVICE_KEY_PREFIX once Django's settings are loaded; before that (the
    gunicorn master) the same environment variable."""
    from django.conf import settings

    if settings.configured:
        return getattr(settings, "KEYSERVICE_KEY_PREFIX", DEFAULT_KEY_PREFIX)
    return os.environ.get("KEYSERVICE_KEY_PREFIX", DEFAULT_KEY_PREFIX)


@lru_cache(maxsize=8)
def _secret_pattern(key_prefix: str) -> re.Pattern[str]:
    prefixes = sorted({p for p in (key_prefix, SERVICE_TOKEN_PREFIX) if p}, key=len, reverse=True)
    return re.compile(
        rf"(?P<key>(?:{'|'.join(map(re.escape, prefixes))})[0-9A-Za-z]{{8,}})"
        r"|(?P<param>(?:apikey|apiKey)=)[^&\s\"']+"
        r"|(?P<bearer>Bearer\s+)[^\s\"']+",
        re.IGNORECASE,
    )


def _redact_shaped(text: str) -> str:
    """Keys under any prefix: 43+6 base62 characters whose last 6 are the CRC of the prefix
    (up to 32 characters before them) and the 43 (apikeys.crypto.checksum)."""
    spans = []
    for match in _SHAPED.finditer(text):
        end = match.end()
        start = end - _KEY_CHARS - CHECKSUM_CHARS
        given, body_end = text[end - CHECKSUM_CHARS : end], end - CHECKSUM_CHARS
        for begin in range(start, max(-1, start - _MAX_PREFIX - 1), -1):
            if crc_checksum(text[begin:body_end]) == given:
                spans.append((begin, end))
                break
    if not spans:
        return text
    pieces, previous = [], 0
    for begin, end in spans:
        pieces += [text[previous:begin], "[redacted-key]"]
        previous = end
    return "".join([*pieces, text[previous:]])


def _redact_plain(text: str, key_prefix: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("param"):
            return match.group("param") + "[redacted]"
        if match.group("bearer"):
            return match.group("bearer") + "[redacted]"
        return "[redacted-key]"

    return _secret_pattern(key_prefix).sub(replace, _redact_shaped(text))


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
    return _redact_encoded_tokens(text), True


def _redact_encoded_tokens(text: str) -> str:
    """Every token of `text` holding a `%XX` escape replaced by `[redacted]`, delimiters kept
    (split() puts the delimiter runs at the odd indices)."""
    parts = _TOKEN_DELIMITERS.split(text)
    return "".join(
        "[redacted]" if index % 2 == 0 and _PERCENT_ESCAPE.search(part) else part
        for index, part in enumerate(parts)
    )


def redact(text: str, *, key_prefix: str | None = None) -> str:
    """Keys, `apikey=` values and bearer tokens replaced, however they are percent-encoded
    (`ap%69key=`, `apikey%3D`, `spx%5F…`, `Bearer+…`). The line keeps its original form when
    that form hides nothing; otherwise the decoded form is logged, redacted."""
    prefix = configured_key_prefix() if key_prefix is None else key_prefix
    cleaned = _redact_plain(text, prefix)
    if "%" not in cleaned and "+" not in cleaned:
        return cleaned
    decoded, over_encoded = _decoded(cleaned)
    redacted = _redact_plain(decoded, prefix)
    return redacted if over_encoded or redacted != decoded else cleaned


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_controls(text: str) -> str:
    """`text` on one line: every control character (CR, LF, NUL, ESC, NEL, U+2028 …) escaped."""
    return _CONTROL.sub(_escape_char, text)


def log_safe(text: str, *, key_prefix: str | None = None) -> str:
    """A message as it may be logged: one line, nothing secret (escaped before redaction, so
    a line break cannot split a secret from its marker, and after, as decoding `%0a` may
    have made one)."""
    return escape_controls(redact(escape_controls(text), key_prefix=key_prefix))


def log_safe_block(text: str, *, key_prefix: str | None = None) -> str:
    """A traceback or stack as it may be logged: lines kept, each redacted and escaped, and
    indented, so no line of it can pass for a log record of its own."""
    lines = (log_safe(line, key_prefix=key_prefix) for line in text.split("\n"))
    return "\n".join(line if line.startswith(" ") else "  " + line for line in lines)


class RedactSecrets(logging.Filter):
    """For every handler: the record's message, traceback and stack made log-safe."""

    def __init__(self, name: str = "", key_prefix: str | None = None) -> None:
        super().__init__(name)
        self.key_prefix = key_prefix or None

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = log_safe(message, key_prefix=self.key_prefix)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = log_safe_block(record.exc_text, key_prefix=self.key_prefix)
        if record.stack_info:
            record.stack_info = log_safe_block(record.stack_info, key_prefix=self.key_prefix)
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
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
