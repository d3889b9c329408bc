"""core.logs: keys under the configured prefix (and any CRC-valid prefix) are redacted, and
every log record is one line (review r3, F1 and F6)."""

from __future__ import annotations

import io
import logging

import pytest

from apikeys import crypto
from core.logs import RedactSecrets, escape_controls, log_safe, redact


@pytest.fixture
def acme_prefix(settings):
    settings.KEYSERVICE_KEY_PREFIX = "acme_"
    return "acme_"


@pytest.mark.parametrize(
    "template",
    [
        "Unauthorized: /pixelStripeApi/projects/{key}",
        '{{"apiKey": "{key}"}}',
        "token={key}&x=1",
        "revoked {key}.",
        "key:{key}",
    ],
)
def test_a_key_under_a_custom_prefix_is_redacted(acme_prefix, template):
    key = crypto.generate_key()
    assert key.startswith("acme_")
    cleaned = redact(template.format(key=key))
    assert key[5:] not in cleaned and "[redacted-key]" in cleaned


def test_a_truncated_key_under_the_configured_prefix_is_redacted(acme_prefix):
    key = crypto.generate_key()
    assert key[5:25] not in redact(f"/projects/{key[:25]}")


def test_a_key_under_a_prefix_not_configured_is_redacted_by_its_checksum(settings):
    settings.KEYSERVICE_KEY_PREFIX = "old-"
    key = crypto.generate_key()  # issued under an earlier prefix
    settings.KEYSERVICE_KEY_PREFIX = "spx_"
    assert redact(f"/projects/{key}") == "/projects/[redacted-key]"


def test_base62_text_whose_checksum_does_not_match_is_kept():
    key = crypto.generate_key()
    tampered = "zz_" + key[4:-1] + ("A" if key[-1] != "A" else "B")
    assert redact(f"/x/{tampered}") == f"/x/{tampered}"


def test_control_characters_are_escaped_so_a_message_is_one_line():
    text = "a\nb\rc\x00d\x1be\x85f\u2028g\u2029h\ti\x7fj"
    assert escape_controls(text) == "a\\nb\\rc\\x00d\\x1be\\x85f\\u2028g\\u2029h\\ti\\x7fj"
    assert log_safe("/x\n127.0.0.1?apikey=secret") == "/x\\n127.0.0.1?apikey=[redacted]"
    # a line whose secret only shows once decoded is logged decoded: its %0a escaped too
    assert log_safe("/x%0a1?ap%69key=secret") == "/x\\n1?apikey=[redacted]"


def test_the_filter_makes_every_handler_write_one_line_per_record_and_no_key(acme_prefix):
    key = crypto.generate_key()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    log = logging.getLogger("core.tests.logs")
    log.addHandler(handler)
    try:
        log.warning('GET /x\n127.0.0.1 - "GET /admin/" 200 %s', key)
        try:
            raise ValueError(f"bad\nFORGED {key}")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == 'GET /x\\n127.0.0.1 - "GET /admin/" 200 [redacted-key]'
    assert not [line for line in lines if line.startswith("FORGED")]
    assert all(line.startswith(" ") for line in lines[2:])  # the traceback, indented
    assert "  FORGED [redacted-key]" in lines and key[5:] not in stream.getvalue()


def test_the_gunicorn_configuration_routes_its_loggers_through_the_filter():
    import runpy

    config = runpy.run_path("gunicorn.conf.py")
    assert config["forwarder_headers"] == ""
    logconfig = config["logconfig_dict"]
    assert logconfig["filters"]["redact_secrets"]["()"] == "core.logs.RedactSecrets"
    for name in ("gunicorn.error", "gunicorn.access"):
        for handler in logconfig["loggers"][name]["handlers"]:
            assert logconfig["handlers"][handler]["filters"] == ["redact_secrets"]
