"""A renamed setting still reads its old name for one release (keyservice/settings/env.py
`env_renamed`): the old name alone sets the new setting, with a FutureWarning; the new name
wins when both are set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.services import ROOT

CODE = (
    "import json, warnings\n"
    "with warnings.catch_warnings(record=True) as caught:\n"
    "    warnings.simplefilter('always')\n"
    "    from django.conf import settings\n"
    "    size = settings.KEYSERVICE_LEASED_CACHE_SIZE\n"
    "print(json.dumps([size, [str(w.message) for w in caught if w.category is FutureWarning]]))"
)


def _settings(**env: str) -> tuple[int, list[str]]:
    environ = {k: v for k, v in os.environ.items() if "LEASED_CACHE" not in k}
    environ = {k: v for k, v in environ.items() if "VERIFY_CACHE" not in k}
    environ |= {"DJANGO_SETTINGS_MODULE": "keyservice.settings_test", **env}
    out = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=environ, capture_output=True, check=True
    )
    size, warned = json.loads(out.stdout)
    return size, warned


def test_the_old_name_alone_sets_the_new_setting_and_says_it_is_deprecated():
    size, warned = _settings(KEYSERVICE_VERIFY_CACHE_SIZE="7")
    assert size == 7
    assert any("KEYSERVICE_VERIFY_CACHE_SIZE is deprecated" in w for w in warned)


def test_the_new_name_wins_and_warns_nothing():
    assert _settings(KEYSERVICE_LEASED_CACHE_SIZE="9", KEYSERVICE_VERIFY_CACHE_SIZE="7") == (9, [])
    assert _settings() == (100_000, [])
