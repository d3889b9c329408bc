"""Fixtures for Google sign-in against a fake Google server and for the browser tests.

- `google` (in the root conftest.py): the fake Google server (tests/e2e/fake_google.py).
- `site`: the live server (pytest-django `live_server`) on PostgreSQL, plain HTTP allowed.
- `page`: a headless Debian Chromium page on the live server, clipboard granted; a failing
  test leaves a screenshot in test-artifacts/. `snap(page, name)` writes a happy-path
  screenshot to docs/screenshots/ only with KEYSERVICE_SCREENSHOTS=1 (`make screenshots`).
- `checked(page)`: axe-core (npm, pinned in package.json; `make install` runs `npm ci`) on the
  page as it is: no serious or critical violation; on a phone-wide viewport, no sideways
  scroll either. Missing axe-core skips like a missing Chromium (fails under
  KEYSERVICE_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
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
PHONE = {"width": 390, "height": 844}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}

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
    """snap(page, name): docs/screenshots/<name>.png at the page's width and, unless
    phone=False, <name>-phone.png at 390 px (the page as it is, resized and back), only with
    KEYSERVICE_SCREENSHOTS=1."""

    def take(page, name: str, *, full_page: bool = False, phone: bool = True) -> None:
        if _screenshots_dir is None:
            return
        page.screenshot(path=_screenshots_dir / f"{name}.png", full_page=full_page)
        if phone:
            width = page.viewport_size
            page.set_viewport_size(PHONE)
            page.screenshot(path=_screenshots_dir / f"{name}-phone.png", full_page=full_page)
            page.set_viewport_size(width)

    return take


# --- Accessibility and phones ---------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> str:
    require(AXE.is_file(), f"needs axe-core at {AXE.relative_to(ROOT)} (npm ci; make install)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, source: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each.
    Evaluated through the DevTools protocol, so the page's strict CSP stays on."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {json.dumps(v['nodes'])}"
        for v in result
        if v["impact"] in SERIOUS
    ]


def sideways_scroll(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no sideways scroll)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


@pytest.fixture
def checked(axe_source) -> Callable[..., None]:
    """checked(page): 0 serious or critical axe violations, and no sideways scroll when the
    viewport is phone-wide (at most 640 px, where the layout folds)."""

    def check(page) -> None:
        where = f"{page.url} at {page.viewport_size['width']} px"
        violations = axe_violations(page, axe_source)
        assert violations == [], f"{where}:\n" + "\n".join(violations)
        if page.viewport_size["width"] <= 640:
            assert sideways_scroll(page) == 0, f"{where} scrolls sideways"

    return check
