"""One log hygiene mechanism for every logger (Django's and gunicorn's): secrets redacted,
control characters escaped.

- Redaction: API keys (the configured KEYSERVICE_KEY_PREFIX, and any `<prefix>` whose CRC
  checksum matches: the key shape of apikeys.crypto), service tokens (`kst_`), `apikey=`
  values and bearer tokens, however they are percent-encoded. The public API's GET endpoints
  take `apikey` in the query string, so request lines would otherwise carry keys into logs.
- Escaping: a log record is one line. CR, LF, NUL and every other control character in a
  message is written escaped (`\\n`, `\\x00`), so a `%0a` in a request path cannot forge a log
  line; traceback lines are indented, so none can look like the start of a record.
- Bounds: what a record carries is cut before redaction runs (each string argument to
  MAX_VALUE_CHARS, the message and each traceback line to MAX_MESSAGE_CHARS, a traceback to
  its first and last MAX_BLOCK_LINES / 2 lines), with a visible ` …[truncated N chars]`; a
  key, token or encoded secret cut in two at the edge is left out whole (`_cut`). Every
  step of redaction takes time linear in what it reads (no pattern here re-reads text from
  each position: tests/architecture/test_regex_linear_time.py times every pattern of the
  project on hostile 8 KB inputs), so logging a hostile request costs about what logging a
  usual one of that size does.

This module imports no Django at import time: gunicorn's master process uses it before (and
without) Django's settings.
"""

from __future__ import annotations

import json
import logging
import os
import re
import string
from collections.abc import Mapping, MutableMapping
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

# What a record may carry into redaction: each string argument (a path, a Host header, a
# request line…), the formatted message, each line of a traceback, and how many lines.
MAX_VALUE_CHARS = 1024
MAX_MESSAGE_CHARS = 2048
MAX_BLOCK_LINES = 200
# Cut inside a secret, a run of base62 characters and `%` escapes at the edge is dropped: up to
# the length of a key's body and checksum written with every character percent-encoded
# MAX_DECODE_ROUNDS times (`A` as `%25252541`), so no part of a cut key is left behind.
_EDGE_CHARS = frozenset(string.ascii_letters + string.digits + "%")
_MAX_EDGE_RUN = (_KEY_CHARS + CHECKSUM_CHARS) * (2 * MAX_DECODE_ROUNDS + 1)


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


def _cut(text: str, limit: int) -> tuple[str, int]:
    """The first `limit` characters of `text` (all of it if shorter) less the run of base62
    characters and `%` escapes ending at the cut (at most _MAX_EDGE_RUN of them: what a key
    cut there may have left), and how many characters were left out."""
    if len(text) <= limit:
        return text, 0
    edge, floor = limit, max(0, limit - _MAX_EDGE_RUN)
    while edge > floor and text[edge - 1] in _EDGE_CHARS:
        edge -= 1
    return text[:edge], len(text) - edge


def _truncation_marker(dropped: int) -> str:
    return f" …[truncated {dropped} chars]" if dropped else ""


def truncated(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """`text` cut to at most `limit` characters plus a visible marker (` …[truncated N
    chars]`); a key, token or encoded secret cut in two at the edge is left out whole."""
    kept, dropped = _cut(text, limit)
    return kept + _truncation_marker(dropped)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_controls(text: str) -> str:
    """`text` on one line: every control character (CR, LF, NUL, ESC, NEL, U+2028 …) escaped."""
    return _CONTROL.sub(_escape_char, text)


def log_safe(text: str, *, key_prefix: str | None = None, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message as it may be logged: cut to `limit` characters first, as `truncated` cuts
    (its marker added after redaction, which never reads more than `limit`), one line,
    nothing secret (escaped before redaction, so a line break cannot split a secret from its
    marker, and after, as decoding `%0a` may have made one)."""
    kept, dropped = _cut(text, limit)
    cleaned = escape_controls(redact(escape_controls(kept), key_prefix=key_prefix))
    return cleaned + _truncation_marker(dropped)


def log_safe_block(text: str, *, key_prefix: str | None = None) -> str:
    """A traceback or stack as it may be logged: lines kept (the first and last
    MAX_BLOCK_LINES / 2 of a longer one), each cut, redacted and escaped as a message, and
    indented, so no line of it can pass for a log record of its own."""
    lines = text.split("\n")
    if len(lines) > MAX_BLOCK_LINES:
        half = MAX_BLOCK_LINES // 2
        omitted = f"…[{len(lines) - 2 * half} lines omitted]"
        lines = [*lines[:half], omitted, *lines[-half:]]
    safe = (log_safe(line, key_prefix=key_prefix) for line in lines)
    return "\n".join(line if line.startswith(" ") else "  " + line for line in safe)


def _bounded_args(
    args: tuple[object, ...] | Mapping[str, object],
) -> tuple[object, ...] | Mapping[str, object]:
    """A record's arguments with every string cut to MAX_VALUE_CHARS (`truncated`). A mapping
    (gunicorn's access-log atoms) is changed in place, so it keeps its own type."""
    if isinstance(args, tuple):
        return tuple(truncated(arg) if isinstance(arg, str) else arg for arg in args)
    if isinstance(args, MutableMapping):
        for name, value in list(args.items()):
            if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
                args[name] = truncated(value)
    return args


# Set on a record once made log-safe: a record passing several handlers is cut and redacted
# once (a second pass would cut the message again, marker and all).
_LOG_SAFE = "keyservice_log_safe"


class RedactSecrets(logging.Filter):
    """For every handler: the record's arguments bounded, its message, traceback and stack
    made log-safe."""

    def __init__(self, name: str = "", key_prefix: str | None = None) -> None:
        super().__init__(name)
        self.key_prefix = key_prefix or None

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _LOG_SAFE, False):
            return True
        setattr(record, _LOG_SAFE, True)
        if record.args:
            record.args = _bounded_args(record.args)
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
