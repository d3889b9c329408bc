"""Fixtures for Google sign-in against a fake Google server and for the browser tests.

- `google` (in the root conftest.py): the fake Google server (tests/e2e/fake_google.py).
- `site`: the live server (pytest-django `live_server`) on PostgreSQL, plain HTTP allowed.
- `page`: a headless Debian Chromium page on the live server, clipboard granted; a failing
  test leaves a screenshot in test-artifacts/. `snap(page, name)` writes a happy-path
  screenshot to docs/screenshots/ only with KEYSERVICE_SCREENSHOTS=1 (`make screenshots`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("KEYSERVICE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}

# --- Live server and browser --------------------------------------------------------------


@pytest.fixture
def site(postgres, live_server, google, settings):
    """The live server on PostgreSQL, serving plain HTTP: no redirect to https, no HSTS, and
    the public API allows plain HTTP."""
    settings.KEYSERVICE_ALLOW_HTTP = True
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    return live_server


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one test module.

    Playwright's sync API keeps an asyncio loop marked running on this thread, which trips
    Django's async-safety check on every ORM call the test makes: allowed while it runs.
    """
    require(Path(CHROMIUM).is_file(), f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "needs the playwright package (requirements-dev.txt)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(request, site, browser):
    """new_page(): a page in a fresh browser context (its own cookies) on the live server."""
    contexts = []

    def make():
        context = browser.new_context(base_url=site.url, viewport=VIEWPORT)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                page.screenshot(path=ARTIFACTS / f"{slug}-{n}-{m}.png", full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def _screenshots_dir():
    if os.environ.get("KEYSERVICE_SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def snap(_screenshots_dir):
    """snap(page, name): docs/screenshots/<name>.png, only with KEYSERVICE_SCREENSHOTS=1."""

    def take(page, name: str, *, full_page: bool = False) -> None:
        if _screenshots_dir is not None:
            page.screenshot(path=_screenshots_dir / f"{name}.png", full_page=full_page)

    return take
