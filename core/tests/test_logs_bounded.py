"""core.logs: what a record carries is cut to a bounded length before redaction runs, with a
visible marker, and no secret cut in two at the edge shows; redaction of the hostile
records of issue 22 (an 8 KB refused Host, a 4 KB `%25`-nested path) costs milliseconds."""

from __future__ import annotations

import io
import logging
import re
import sys
from typing import Any
from urllib.parse import unquote, unquote_plus

import pytest

from apikeys import crypto
from core import logs
from core.logs import (
    MAX_BLOCK_LINES,
    MAX_MESSAGE_CHARS,
    MAX_VALUE_CHARS,
    RedactSecrets,
    log_safe,
    truncated,
)


def _filtered(record: logging.LogRecord) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactSecrets(key_prefix="spx_"))
    handler.handle(record)
    return stream.getvalue()


def _record(
    msg: str, args: tuple[object, ...] | None = None, exc_info: Any = None
) -> logging.LogRecord:
    return logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_a_long_message_is_cut_before_redaction_and_says_how_much_was_left_out(monkeypatch):
    seen: list[int] = []
    redact = logs.redact

    def measured(text: str, **kwargs: str | None) -> str:
        seen.append(len(text))
        return redact(text, **kwargs)

    monkeypatch.setattr(logs, "redact", measured)
    message = "Invalid HTTP_HOST header: '" + "-." * 5000 + "'."
    logged = _filtered(_record(message)).rstrip("\n")
    assert seen and max(seen) <= MAX_MESSAGE_CHARS
    assert logged.startswith("Invalid HTTP_HOST header: '-.-.")
    assert logged.endswith(f" …[truncated {len(message) - MAX_MESSAGE_CHARS} chars]")


def test_each_string_argument_is_cut_so_an_access_line_keeps_its_status():
    atoms = {"h": "127.0.0.1", "m": "GET", "U": "/" + "-/" * 3000, "s": "404", "D": "1200"}
    logged = _filtered(_record('%(h)s "%(m)s %(U)s" %(s)s %(D)sus', (atoms,)))
    assert logged.startswith('127.0.0.1 "GET /-/-/')
    assert f'…[truncated {6001 - MAX_VALUE_CHARS} chars]" 404 1200us' in logged
    not_found = _filtered(_record("Not Found: %s", ("/" + "q" * 5000 + "/",)))
    assert len(not_found) < MAX_VALUE_CHARS + 100 and "…[truncated" in not_found


def test_a_traceback_is_cut_line_by_line_and_keeps_its_first_and_last_lines():
    try:
        raise ValueError("bad host " + "h." * 5000 + "\n" + "\n".join(map(str, range(500))))
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())
    lines = _filtered(record).splitlines()
    assert lines[0] == "failed" and lines[1] == "  Traceback (most recent call last):"
    assert len(lines) == 1 + MAX_BLOCK_LINES + 1 and lines[-1] == "  499"
    assert len([line for line in lines if re.fullmatch(r"  …\[\d+ lines omitted\]", line)]) == 1
    assert all(len(line) < MAX_MESSAGE_CHARS + 50 for line in lines)
    assert any(line.endswith(" chars]") and "ValueError: bad host h.h." in line for line in lines)


def test_a_record_through_two_handlers_is_cut_once():
    record = _record("x " * 1500 + " apikey=%s", ("secret-value",))
    first, second = _filtered(record), _filtered(record)
    assert first == second and first.count("…[truncated") == 1


# A key cut at the edge: in a path, as an apikey= value, as a bearer token, in JSON; plain,
# percent-encoded once, and every character encoded MAX_DECODE_ROUNDS times.
CONTEXTS = ["/pixelStripeApi/projects/{}", "/x?userId=abc&apikey={}", "Bearer {}", '{{"k": "{}"}}']


def _encoded(key: str, rounds: int) -> str:
    if rounds == 0:
        return key
    once = "".join(f"%{ord(char):02X}" for char in key)
    return once.replace("%", "%" + "25" * (rounds - 1))


def _shows_a_piece(text: str, body: str) -> str | None:
    for _ in range(logs.MAX_DECODE_ROUNDS + 1):
        text = unquote(text)
    return next((body[i : i + 6] for i in range(len(body) - 5) if body[i : i + 6] in text), None)


@pytest.mark.parametrize("prefix", ["spx_", "old-"])
@pytest.mark.parametrize("rounds", [0, 1, logs.MAX_DECODE_ROUNDS])
@pytest.mark.parametrize("context", CONTEXTS)
def test_a_key_cut_at_the_edge_leaves_no_piece_of_it_in_the_line(settings, prefix, rounds, context):
    """At every cut inside the key, as a message (cut at MAX_MESSAGE_CHARS) and as an
    argument (cut at MAX_VALUE_CHARS). The filter knows only the spx_ prefix: a key under an
    earlier one is found by its checksum, which a cut key has lost."""
    settings.KEYSERVICE_KEY_PREFIX = prefix
    key = crypto.generate_key()
    body, encoded = key[len(prefix) :], _encoded(key, rounds)
    written = context.format(encoded)
    start = written.index(encoded)
    for cut in range(start + 1, start + len(encoded) + 1):
        rest = written[cut:] + " and more" * 10
        as_message = log_safe("-" * (MAX_MESSAGE_CHARS - cut) + written[:cut] + rest)
        as_argument = _filtered(
            _record("%s", ("-" * (MAX_VALUE_CHARS - cut) + written[:cut] + rest,))
        )
        # (an argument cut right after `Bearer ` has its marker's first word redacted too)
        for logged in (as_message, as_argument):
            assert " chars]" in logged
            assert _shows_a_piece(logged, body) is None, (cut - start, logged[-120:])


def test_text_that_is_no_secret_is_cut_where_the_limit_says():
    assert truncated("a b " * 1000, 10) == "a b a b a  …[truncated 3990 chars]"
    assert truncated("short", 10) == "short"


# The records of issue 22 as Django and gunicorn write them: the refused Host (message and
# traceback), and the `%25`-nested path (Django's Not Found, gunicorn's access line). Each
# holds an escape still encoded after MAX_DECODE_ROUNDS, then a long token of `%` without
# one (which the old pattern re-read from each of its positions). Usual records have the
# same shape and lengths without `%`.
HOSTILE_HOST = "%2525252525252541&" + "%" * 8000
HOSTILE_PATH = "/%252525252525252541&" + "%" * 4000


def _records(host: str, path: str) -> list[logging.LogRecord]:
    message = f"Invalid HTTP_HOST header: {host!r}. The domain name provided is not valid"
    try:
        raise ValueError(message)
    except ValueError:
        refused = _record(message, exc_info=sys.exc_info())
    atoms = {"h": "127.0.0.1", "m": "GET", "U": path, "s": "404"}
    return [
        refused,
        _record("Not Found: %s", (path,)),
        _record('%(h)s "%(m)s %(U)s" %(s)s', (atoms,)),
    ]


def _work(host: str, path: str, monkeypatch) -> tuple[list[int], list[int]]:
    """What the filter does with those records, counted rather than timed: the length of
    every text redaction runs on, and the length of every percent-decoding pass over it."""
    redacted: list[int] = []
    decoded: list[int] = []
    redact = logs.redact

    def counted_redact(text: str, **kwargs: str | None) -> str:
        redacted.append(len(text))
        return redact(text, **kwargs)

    def counted_unquote(text: str) -> str:
        decoded.append(len(text))
        return unquote_plus(text)

    monkeypatch.setattr(logs, "redact", counted_redact)
    monkeypatch.setattr("core.logs.unquote_plus", counted_unquote)
    for record in _records(host, path):
        _filtered(record)
    monkeypatch.undo()
    return redacted, decoded


def test_the_hostile_records_of_issue_22_cost_the_filter_what_usual_ones_do(monkeypatch):
    """Counted, not timed (a timed version failed under load): redaction sees no more text
    for hostile records than for usual ones of the same size, each text bounded, and decodes
    each at most MAX_DECODE_ROUNDS + 1 times; every pattern it runs is linear
    (tests/architecture/test_regex_linear_time.py), so its cost is bounded like theirs."""
    usual, _ = _work(HOSTILE_HOST.replace("%", "-"), HOSTILE_PATH.replace("%", "-"), monkeypatch)
    hostile, decoded = _work(HOSTILE_HOST, HOSTILE_PATH, monkeypatch)
    assert hostile and max(hostile) <= MAX_MESSAGE_CHARS
    assert sum(hostile) <= sum(usual)  # no more text than usual ones: cut before redaction
    assert len(decoded) <= len(hostile) * (logs.MAX_DECODE_ROUNDS + 1)
    assert max(decoded) <= MAX_MESSAGE_CHARS
