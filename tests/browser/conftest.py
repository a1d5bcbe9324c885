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

- ``page`` is a fresh browser context per test, French locale, and every test that takes it runs twice: ids
  ``desktop`` (1280×800, mouse) and ``phone`` (390×844, mobile, touch screen); the ``viewport`` argument says
  which. ``@pytest.mark.viewports("desktop")`` keeps a test to the viewports it names.
  Use accessible locators (``get_by_role``, ``get_by_label``): they fail when a label is missing.
- ``agent_page`` is an agent's desktop browser (a second context, own cookies); ``admin_sign_in(page, url, email)``
  signs a demo agent in with the code of their TOTP device.
- ``assert_accessible(page)`` after every page the journey reaches, error states and the admin included; the
  session's summary counts the page states axe checked and the violations found.
- ``screenshot(page, "name")`` saves ``test-artifacts/screenshots/<desktop|phone>/<name>.png`` (the key pages;
  the README's captures come from there).
- Run only these tests with ``pytest -m browser``; skip them with ``pytest -m "not browser"``.
- When a browser test fails, a screenshot and the page's HTML are saved in ``test-artifacts/browser/``.
"""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import sync_playwright

from portal.management.commands.demo_totp import current_code

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FRENCH = {"locale": "fr-FR", "timezone_id": "Europe/Paris"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {  # each browser journey runs on both
    "desktop": {"viewport": DESKTOP, "screen": DESKTOP, "is_mobile": False, "has_touch": False},
    "phone": {"viewport": PHONE, "screen": PHONE, "is_mobile": True, "has_touch": True},  # a family's phone
}
DESKTOP_CONTEXT = {**FRENCH, **VIEWPORTS["desktop"]}  # an agent's screen
PHONE_CONTEXT = {**FRENCH, **VIEWPORTS["phone"]}
WCAG_21_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
SCREENSHOTS = ARTIFACTS.parent / "screenshots"
EXPECT_TIMEOUT_MS = 10_000  # a locator that finds nothing fails in 10 s, not Playwright's 30


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "viewports(*names): the viewports a browser test runs on (desktop, phone)"
    )


def pytest_generate_tests(metafunc):
    """Every test that takes `page` (or `viewport`) once per viewport, ids `desktop` and `phone`; a test that
    parametrizes `viewport` itself keeps its own values."""
    if "viewport" not in metafunc.fixturenames:
        return
    if any("viewport" in marker.args[0] for marker in metafunc.definition.iter_markers("parametrize")):
        return
    marker = metafunc.definition.get_closest_marker("viewports")
    names = list(marker.args) if marker else list(VIEWPORTS)
    metafunc.parametrize("viewport", names, ids=names)


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
def context_options(viewport):
    """What a new browser context takes for this test's viewport (French, its size, mobile and touch or not)."""
    return {**FRENCH, **VIEWPORTS[viewport]}


@pytest.fixture
def page(browser, context_options, request):
    """A new page in its own context (own cookies): French, at the test's viewport."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
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


@pytest.fixture
def agent_page(browser):
    """An agent's browser: a desktop screen, its own cookies (the family's `page` stays signed in)."""
    context = browser.new_context(**DESKTOP_CONTEXT)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def admin_sign_in(page, base_url: str, email: str, password: str) -> None:
    """An agent signs in to the admin with their password and the code their authenticator shows now."""
    page.goto(base_url + "/admin/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_label("Code à 6 chiffres").fill(current_code(TOTPDevice.objects.get(user__email=email)))
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(base_url + "/admin/")


def viewport_name(page) -> str:
    return "phone" if page.viewport_size["width"] < DESKTOP["width"] else "desktop"


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")`: the whole page as it is now, in test-artifacts/screenshots/<viewport>/."""

    def take(page, name: str) -> Path:
        folder = SCREENSHOTS / viewport_name(page)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="initial")
        return path

    return take


_AXE_COUNTS = pytest.StashKey[dict]()


def _axe_counts(config) -> dict:
    return config.stash.setdefault(_AXE_COUNTS, {"states": 0, "violations": 0})


def pytest_terminal_summary(terminalreporter, config):
    """The closing count: how many page states axe checked in this run, and what it found."""
    counts = config.stash.get(_AXE_COUNTS, None)
    if counts is None:
        return
    states, violations = counts["states"], counts["violations"]
    found = "0 violation" if not violations else f"{violations} violation(s)"
    terminalreporter.write_sep("-", f"axe : {states} états de page vérifiés (WCAG 2.1 A et AA), {found}")


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(axe, request):
    """Check the page as it is now; call it on every page a journey reaches, error states included.

    ``assert_accessible(page)`` fails with a readable list of problems when:

    - axe-core finds any violation of the WCAG 2.1 level A or AA rules (tags wcag2a, wcag2aa,
      wcag21a, wcag21aa), listing rule id, impact, help text and the CSS selectors of the culprits;
    - the page scrolls sideways (WCAG 1.4.10, reflow, at the phone's width), which axe cannot see.

    Fix the template or the stylesheet rather than switching rules off.
    """

    def check(page):
        page.wait_for_load_state("load")
        results = axe.run(
            page,
            options={"runOnly": {"type": "tag", "values": WCAG_21_AA_TAGS}, "resultTypes": ["violations"]},
        )
        violations = results.response["violations"]
        counts = _axe_counts(request.config)
        counts["states"] += 1
        counts["violations"] += sum(len(violation["nodes"]) for violation in violations)
        if violations:
            raise AssertionError(format_violations(page.url, violations))
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            raise AssertionError(
                f"{page.url} défile horizontalement de {overflow} px sur un écran de {page.viewport_size['width']} px."
            )

    return check
