"""Nothing key-shaped reaches a log line, even from query strings or tracebacks."""

import io
import logging

from apikeys import crypto
from keyservice.logging import RedactSecrets, redact


def test_redact_removes_keys_query_parameters_and_bearer_tokens():
    key = crypto.generate_key()
    line = f'"GET /pixelStripeApi/projects?userId=abc&apikey={key}&page=2" Bearer kst_abcdefgh123'
    cleaned = redact(line)
    assert key not in cleaned and key[4:] not in cleaned
    assert "kst_abcdefgh123" not in cleaned
    assert "userId=abc" in cleaned and "page=2" in cleaned
    assert redact(f"apiKey={key}") == "apiKey=[redacted]"


def test_the_console_handler_redacts_messages_arguments_and_tracebacks():
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    key = crypto.generate_key()
    try:
        log = logging.getLogger("django.server")
        log.warning('"GET /x?apikey=%s HTTP/1.1" 401', key)
        try:
            raise ValueError(f"bad key {key}")
        except ValueError:
            logging.getLogger("keyservice.test").exception("failed")
    finally:
        handler.setStream(previous)
    output = stream.getvalue()
    assert "apikey=[redacted]" in output
    assert "ValueError" in output
    assert key not in output
