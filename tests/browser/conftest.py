"""Browser-test harness: Debian's Chromium driven by Playwright, against pytest-django's live server.

Writing a browser test
----------------------
::

    import pytest

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

    def test_something(page, live_server, assert_accessible):
        page.goto(live_server.url + "/")
        assert_accessible(page)  # axe WCAG 2.1 A + AA, and no sideways scrolling on a phone
        page.get_by_role("link", name="Se connecter").click()
        ...

- ``page`` is a fresh browser context per test: French locale, phone-sized screen (390×844).
  Use accessible locators (``get_by_role``, ``get_by_label``): they fail when a label is missing.
- ``assert_accessible(page)`` after every page the journey reaches, error states included.
- Run only these tests with ``pytest -m browser``; skip them with ``pytest -m "not browser"``.
- When a browser test fails, a screenshot and the page's HTML are saved in ``test-artifacts/browser/``.
"""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
PHONE_CONTEXT = {  # a French family's phone
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
    "viewport": PHONE,
    "screen": PHONE,
    "is_mobile": True,
    "has_touch": True,
}
WCAG_21_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def pytest_collection_modifyitems(config, items):
    """Run browser tests last. While Playwright runs, the whole process needs
    DJANGO_ALLOW_ASYNC_UNSAFE (see `browser`); last, it never reaches the other tests, nor the
    subprocesses they start (`check --deploy` warns about it). Fast tests also report first."""
    items[:] = [item for item in items if not item.get_closest_marker("browser")] + [
        item for item in items if item.get_closest_marker("browser")
    ]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (starting it costs about a second)."""
    if not CHROMIUM.exists():
        message = f"Chromium est introuvable ({CHROMIUM}) : apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Sync Playwright keeps an asyncio loop running in the main thread from start() to stop();
    # without this, Django refuses every ORM call made meanwhile (seeding data, reading it back).
    # Restored when the session ends; browser tests run last (pytest_collection_modifyitems).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so `page` knows at teardown whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def page(browser, request):
    """A new page in its own context (own cookies): French, phone-sized, touch screen."""
    context = browser.new_context(**PHONE_CONTEXT)
    page = context.new_page()
    yield page
    call = request.node.stash.get(_REPORTS, {}).get("call")
    if call is not None and call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # the page may be gone; the test failure matters more
            print(f"Capture impossible après l'échec : {error}")
    context.close()


def format_violations(url: str, violations: list[dict]) -> str:
    """One block per broken rule: id, impact, help, link, then each offending element."""
    lines = [f"{len(violations)} règle(s) WCAG 2.1 A/AA non respectée(s) sur {url} :"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}) : {violation['help']} — {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    • {target}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"        {line}" for line in summary.splitlines())
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Check the page as it is now; call it on every page a journey reaches, error states included.

    ``assert_accessible(page)`` fails with a readable list of problems when:

    - axe-core finds any violation of the WCAG 2.1 level A or AA rules (tags wcag2a, wcag2aa,
      wcag21a, wcag21aa), listing rule id, impact, help text and the CSS selectors of the culprits;
    - the page scrolls sideways at the phone width (WCAG 1.4.10, reflow), which axe cannot see.

    Fix the template or the stylesheet rather than switching rules off.
    """

    def check(page):
        page.wait_for_load_state("load")
        results = axe.run(
            page,
            options={"runOnly": {"type": "tag", "values": WCAG_21_AA_TAGS}, "resultTypes": ["violations"]},
        )
        violations = results.response["violations"]
        if violations:
            raise AssertionError(format_violations(page.url, violations))
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            raise AssertionError(
                f"{page.url} défile horizontalement de {overflow} px sur un écran de téléphone."
            )

    return check
