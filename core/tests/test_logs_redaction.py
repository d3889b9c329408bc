"""Nothing key-shaped reaches a log line, even from query strings or tracebacks."""

import io
import logging

import pytest

from apikeys import crypto
from core.logs import RedactSecrets, redact


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


# {secret}: a value only the `apikey=` rule can find (not key-shaped); {enc_key}: a key whose
# underscore is percent-encoded, so only the key rule can find it once decoded.
ENCODED = [
    "ap%69key={secret}",
    "%61pikey={secret}",
    "%41%50%49%4B%45%59={secret}",
    "apikey%3D{secret}",
    "apikey%3d{secret}",
    "ap%2569key={secret}",  # encoded twice
    "ap%252569key={secret}",  # three times
    "%2561%2570%2569%256b%2565%2579%253d{secret}",
    "apiKey={enc_key}",
    "token={enc_key}",
    "token=spx%255F{secret}",
    "x=Bearer+{secret}",
    "x=Bearer%20{secret}",
]


@pytest.mark.parametrize("query", ENCODED)
def test_redact_finds_percent_encoded_parameter_names_and_keys(query):
    key = crypto.generate_key()
    secret = key[4:]
    filled = query.format(secret=secret, enc_key=key.replace("_", "%5F"))
    cleaned = redact(f'"GET /pixelStripeApi/projects?userId=abc&{filled} HTTP/1.1" 401')
    assert secret not in cleaned, cleaned
    assert "userId=abc" in cleaned


def test_text_encoded_beyond_the_decoding_bound_is_redacted_not_logged():
    secret = crypto.generate_key()[4:]
    name = "%61pikey"
    for _ in range(10):
        name = name.replace("%", "%25")
    cleaned = redact(f"/x?userId=abc&{name}={secret}")
    assert secret not in cleaned
    assert "userId=abc" in cleaned


def test_a_line_without_secrets_keeps_its_encoding():
    line = '"GET /x?name=a%20b&q=1+2&next=%2Fkeys%2F" 200'
    assert redact(line) == line


def test_the_console_handler_redacts_a_percent_encoded_apikey_in_a_request_line():
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    secret = crypto.generate_key()[4:]
    try:
        logging.getLogger("django.server").warning('"GET /x?ap%%69key=%s HTTP/1.1" 401', secret)
    finally:
        handler.setStream(previous)
    assert secret not in stream.getvalue()
    assert "apikey=[redacted]" in stream.getvalue()
