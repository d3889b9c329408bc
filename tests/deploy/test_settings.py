"""Production start refuses missing or malformed secrets, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# `manage.py check` never connects: any PostgreSQL URL will do.
UNUSED_DATABASE = "postgres://nobody@127.0.0.1:9/unused"
GOOD = {
    "DJANGO_SECRET_KEY": "s" * 50,
    "KEYSERVICE_ENCRYPTION_KEY": "cd" * 32,
    "KEYSERVICE_DIGEST_SECRET": "d" * 40,
}


def run_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEYSERVICE_"))}
    env.update(
        {
            "KEYSERVICE_ENV_FILE": "",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": UNUSED_DATABASE,
            **GOOD,
        }
    )
    env.update(overrides)
    env = {k: v for k, v in env.items() if v is not None and v != "<unset>"}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_print(expression: str, **overrides: str) -> subprocess.CompletedProcess:
    """Print `expression` (of `s`, the settings) from development settings in a new process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEYSERVICE_"))}
    code = (
        f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    )
    env.update(
        KEYSERVICE_ENV_FILE="",
        DJANGO_DEBUG="true",
        DJANGO_SETTINGS_MODULE="keyservice.settings",
        DATABASE_URL=UNUSED_DATABASE,
        **overrides,
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_settings_with_every_secret_start():
    result = run_check()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_SECRET_KEY", "<unset>"),
        ("DJANGO_SECRET_KEY", "short"),
        ("KEYSERVICE_ENCRYPTION_KEY", "<unset>"),
        ("KEYSERVICE_ENCRYPTION_KEY", "abc123"),
        ("KEYSERVICE_ENCRYPTION_KEY", "zz" * 32),
        ("KEYSERVICE_DIGEST_SECRET", "<unset>"),
        ("KEYSERVICE_OLD_ENCRYPTION_KEYS", "not-hex"),
    ],
)
def test_production_start_refuses_a_missing_or_malformed_secret_naming_it(variable, value):
    result = run_check(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_the_digest_secret_must_differ_from_the_django_secret_key():
    result = run_check(KEYSERVICE_DIGEST_SECRET=GOOD["DJANGO_SECRET_KEY"])
    assert result.returncode != 0
    assert "KEYSERVICE_DIGEST_SECRET" in result.stderr


def test_debug_mode_starts_without_any_secret_for_a_first_try():
    result = run_check(
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY="<unset>",
        KEYSERVICE_ENCRYPTION_KEY="<unset>",
        KEYSERVICE_DIGEST_SECRET="<unset>",
    )
    assert result.returncode == 0, result.stderr


def test_django_reads_every_body_the_apis_accept():
    """DRF's JSON parser reads request.body, which Django refuses past its memory limit."""
    result = settings_print(
        "s.DATA_UPLOAD_MAX_MEMORY_SIZE >= s.KEYSERVICE_API_MAX_BODY_BYTES == 5000000",
        KEYSERVICE_API_MAX_BODY_BYTES="5000000",
    )
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize(
    "url", ["sqlite:///var/db.sqlite3", "sqlite://:memory:", "mysql://root@127.0.0.1/keys"]
)
def test_a_database_other_than_postgresql_is_refused_at_start_with_a_clear_message(url):
    result = run_check(DATABASE_URL=url)
    assert result.returncode == 2
    assert "keyservice runs on PostgreSQL only" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_a_database_url():
    result = run_check(DATABASE_URL="<unset>")
    assert result.returncode == 2
    assert "DATABASE_URL is required with DJANGO_DEBUG off" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KEYSERVICE_CLIENT_IPV6_PREFIX", "0"),
        ("KEYSERVICE_CLIENT_IPV6_PREFIX", "129"),
        ("KEYSERVICE_LEAK_REPORTS_BATCH", "0"),
        ("KEYSERVICE_LEAK_REPORTS_BATCH", "1001"),
    ],
)
def test_a_client_prefix_or_report_batch_out_of_range_refuses_to_start_naming_it(variable, value):
    result = run_check(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


def test_a_sign_up_domain_idna_cannot_encode_stops_the_start_naming_the_variable():
    result = run_check(KEYSERVICE_SIGNUP_DOMAINS="example.com,exa_mple.com")
    assert result.returncode == 2
    assert "KEYSERVICE_SIGNUP_DOMAINS" in result.stderr and "exa_mple.com" in result.stderr
    assert "Traceback" not in result.stderr


def test_sign_up_domains_are_read_in_their_canonical_form():
    """Compared with the domain of a canonical address (accounts.addresses): A-labels."""
    result = settings_print(
        "s.KEYSERVICE_SIGNUP_DOMAINS",
        KEYSERVICE_SIGNUP_DOMAINS="Example.COM, @münchen.de,gmaıl.com",
    )
    assert result.stdout.strip() == "['example.com', 'xn--mnchen-3ya.de', 'xn--gmal-nza.com']", (
        result.stderr
    )


@pytest.mark.parametrize(("value", "threshold"), [(None, "5"), ("true", "5"), ("false", "None")])
def test_keyservice_db_prepared_decides_whether_the_hot_queries_are_prepared(value, threshold):
    overrides = {} if value is None else {"KEYSERVICE_DB_PREPARED": value}
    result = settings_print("s.DATABASES['default']['OPTIONS']['prepare_threshold']", **overrides)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == threshold
