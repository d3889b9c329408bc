"""Every environment variable the settings read is documented in docs/configuration.md.

The settings are every module of keyservice/settings/, keyservice/secrets.py and
gunicorn.conf.py; a variable counts as documented when the configuration reference names it in
backticks.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "keyservice/settings").glob("*.py")),
    "keyservice/secrets.py",
    "gunicorn.conf.py",
]
READS = [
    re.compile(r"\benv\.\w+\(\s*\"([A-Z][A-Z0-9_]+)\""),  # env.str("NAME", …), env.db(…), …
    re.compile(r"\bos\.environ(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]+)\""),
    re.compile(r"\"([A-Z][A-Z0-9_]+)\" in env\b"),
    # a renamed setting (keyservice/settings/env.py env_renamed): its name and its old alias
    re.compile(r"\benv_renamed\(\s*\"([A-Z][A-Z0-9_]+)\""),
    re.compile(r"\bold=\"([A-Z][A-Z0-9_]+)\""),
]
# Read by the settings, but not a setting of ours: Django's own.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


def variables_read() -> set[str]:
    names = set()
    for source in SOURCES:
        text = (ROOT / source).read_text(encoding="utf-8")
        for pattern in READS:
            names.update(pattern.findall(text))
    return names - NOT_SETTINGS


def test_the_settings_are_read_as_expected():
    names = variables_read()
    assert {"DJANGO_DEBUG", "DATABASE_URL", "EMAIL_URL", "GUNICORN_WORKERS"} <= names
    assert "KEYSERVICE_THROTTLE_UPLOAD" in names and "KEYSERVICE_DIGEST_SECRET" in names


def test_every_environment_variable_the_settings_read_is_in_the_configuration_reference():
    documented = set(
        re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs/configuration.md").read_text())
    )
    assert sorted(variables_read() - documented) == []
