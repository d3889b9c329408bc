"""The checkout's `.env`: which file the settings read, and its values without applying them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import environ

from devstack.locations import ROOT


def env_file_path() -> Path | None:
    """KEYSERVICE_ENV_FILE when set ("" for none), else `.env` at the checkout's root."""
    named = os.environ.get("KEYSERVICE_ENV_FILE", str(ROOT / ".env"))
    return Path(named) if named and Path(named).is_file() else None


def env_file_read() -> dict[str, str]:
    """The file's values, parsed as the settings parse them (django-environ)."""

    class _Reader(environ.Env):  # type: ignore[misc]
        ENVIRON: ClassVar[dict[str, str]] = {}

    path = env_file_path()
    if path is not None:
        _Reader.read_env(str(path), overwrite=True)
    return dict(_Reader.ENVIRON)
