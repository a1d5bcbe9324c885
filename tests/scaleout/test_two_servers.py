"""Two portal servers behind one address, as N servers behind a load balancer: two gunicorn processes (two workers
each, gunicorn.conf.py) on two ports, sharing the test's PostgreSQL database and one Redis. Nothing a request keeps
may live in one server's memory:

- a FranceConnect sign-in started on one server completes on the other (the flow's state is in the session);
- a consent given on one is honoured on the other (the DGFiP lookup that follows it runs there);
- the DGFiP quota holds across both (the sliding window is in Redis);
- a task queued by one server is run once, with two task workers polling the same queue.

Needs PostgreSQL (DATABASE_URL) and Redis (127.0.0.1:6379, or SCALEOUT_REDIS_URL): skipped otherwise, but with `CI`
set a missing Redis fails them. CI runs the suite on PostgreSQL too, so these tests run there. The servers run the test settings (the simulators on, on server A),
the database is the test database: each test commits what the servers must see (transactional tests)."""

import concurrent.futures
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from cantine.models import DossierMessage
from franceconnect.models import FranceConnectIdentity
from impot_client.models import TaxData
from tests.factories import PASSWORD, DossierFactory, HouseholdFactory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/0")
QUOTA_PER_MINUTE = 4

pytestmark = pytest.mark.django_db(transaction=True)


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: no Redis here
        return False


@pytest.fixture(scope="module")
def shared_services():
    if connection.vendor != "postgresql":
        pytest.skip("scale-out: needs PostgreSQL (DATABASE_URL=postgres://...), shared by both servers")
    if not _redis_answers():
        reason = f"scale-out: needs Redis at {REDIS_URL}, shared by both servers"
        # CI runs the suite on PostgreSQL to run these: a missing Redis is a failure there.
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_of_the_tests() -> str:
    """The test database pytest-django created, for the servers' processes."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Servers:
    def __init__(self, prefix: str, environment: dict[str, str], a: str, b: str):
        self.prefix, self.environment, self.a, self.b = prefix, environment, a, b
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []


@pytest.fixture(scope="module")
def servers(shared_services, django_db_setup, django_db_blocker, tmp_path_factory):
    prefix = f"scaleout-{secrets.token_hex(4)}"
    a, b = (f"http://127.0.0.1:{free_port()}" for _ in range(2))
    inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url_of_the_tests(),
        "CACHE_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        # The load balancer's address would be SITE_URL; server A stands for it (its simulators are the ones used).
        "SITE_URL": a,
        "ALLOWED_HOSTS": "127.0.0.1",
        "FRANCECONNECT_SANDBOX_REDIRECT_URIS": ",".join(
            f"{server}{path}"
            for server in (a, b)
            for path in ("/franceconnect/callback/", "/demarches/revenus/franceconnect/retour/")
        ),
        "IMPOT_QUOTA_PER_MINUTE": str(QUOTA_PER_MINUTE),
        "IMPOT_RETRY_BACKOFF": "0",
        "EMAIL_URL": "consolemail://",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "WEB_CONCURRENCY": "2",
        # Threaded workers: a server calls its own simulators (the DGFiP one calls the FranceConnect one) while
        # serving the request that asked, which would leave two sync workers all waiting. Four families coming back
        # at once hold up to ten requests on server A (theirs, and each lookup's two simulator calls): 2 × 4
        # threads left one lookup waiting for a free thread past its read timeout (CI, 5 004 ms); 2 × 8 leave room.
        "GUNICORN_THREADS": "8",
        "LOG_FORMAT": "plain",
        "PYTHONUNBUFFERED": "1",
    }
    group = Servers(prefix, environment, a, b)
    logs = tmp_path_factory.mktemp("scaleout")
    group.logs = [logs / "a.log", logs / "b.log"]
    try:
        for name, url in (("a", a), ("b", b)):
            log = (logs / f"{name}.log").open("w")
            group.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                    cwd=ROOT,
                    env={**environment, "GUNICORN_BIND": urlsplit(url).netloc},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for (name, url), process in zip((("a", a), ("b", b)), group.processes, strict=True):
            wait_until_up(url, process, logs / f"{name}.log")
        yield group
    finally:
        for process in group.processes:
            process.send_signal(signal.SIGTERM)
        for process in group.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        forget_redis_keys(prefix)


def wait_until_up(url, process, log: Path) -> None:
    for _attempt in range(300):  # bounded: a server that never answers fails the test with its log
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn does not answer on {url}:\n{log.read_text()}")


def forget_redis_keys(prefix: str, part: str = "") -> None:
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(match=f"*{prefix}*{part}*"):
        store.delete(key)


@pytest.fixture
def browser(servers):
    """One browser: its cookies (set for 127.0.0.1) go to both servers, as to one site behind a load balancer."""
    with httpx.Client(timeout=30) as client:
        yield client


CALLBACKS = ("/franceconnect/callback/", "/demarches/revenus/franceconnect/retour/")


def follow(browser, response, *, callback_on=None):
    """Follow the redirects as a browser does; with `callback_on`, the redirect back from FranceConnect lands on
    that server instead: the load balancer sent the callback elsewhere."""
    while response.is_redirect:
        location = urljoin(str(response.url), response.headers["location"])
        if callback_on and urlsplit(location).path in CALLBACKS:
            target = urlsplit(callback_on)
            location = urlunsplit(urlsplit(location)._replace(scheme=target.scheme, netloc=target.netloc))
        response = browser.get(location)
    return response


def csrf_token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def hidden(page, name) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', page.text).group(1)


def post_form(browser, page, url, **data):
    return browser.post(
        url, data={"csrfmiddlewaretoken": csrf_token(page), **data}, headers={"Referer": str(page.url)}
    )


def sign_in_with_franceconnect(browser, *, start_on, callback_on, identity="test"):
    authorize = follow(browser, browser.get(start_on + reverse("franceconnect:login")))
    assert "/sandbox/franceconnect/api/v2/authorize" in str(authorize.url)
    back = post_form(browser, authorize, str(authorize.url), identity=identity)
    return follow(browser, back, callback_on=callback_on)


def authorise_through_franceconnect(browser, dossier, *, on, callback_on, identity="test"):
    """« J'autorise (via FranceConnect) » on `on`; FranceConnect's answer lands on `callback_on`."""
    income = browser.get(on + reverse("impot:income", args=[dossier.pk]))
    assert income.status_code == 200 and "J'autorise (via FranceConnect)" in income.text
    franceconnect = follow(
        browser,
        post_form(
            browser, income, on + reverse("impot:authorize", args=[dossier.pk]), shown=hidden(income, "shown")
        ),
    )
    assert "dgfip_rfr" in str(franceconnect.url)
    back = post_form(browser, franceconnect, str(franceconnect.url), identity=identity)
    return follow(browser, back, callback_on=callback_on)


def test_a_franceconnect_sign_in_started_on_one_server_completes_on_the_other(servers, browser):
    dashboard = sign_in_with_franceconnect(browser, start_on=servers.a, callback_on=servers.b)

    assert urlsplit(str(dashboard.url)).netloc == urlsplit(servers.b).netloc
    assert dashboard.url.path == reverse("portal:dashboard")
    assert "Certifiée par FranceConnect" in dashboard.text
    # And the session it opened is known to server A as well.
    again = browser.get(servers.a + reverse("portal:dashboard"))
    assert again.status_code == 200 and "Certifiée par FranceConnect" in again.text
    assert FranceConnectIdentity.objects.count() == 1


def test_a_consent_given_on_one_server_is_honoured_on_the_other(servers, browser):
    sign_in_with_franceconnect(browser, start_on=servers.a, callback_on=servers.a)
    dossier = DossierFactory(
        child__household=FranceConnectIdentity.objects.get().user.household, income_declined=False
    )

    review = authorise_through_franceconnect(browser, dossier, on=servers.a, callback_on=servers.b)

    assert urlsplit(str(review.url)).netloc == urlsplit(servers.b).netloc
    assert review.url.path == reverse("cantine:dossier_review", args=[dossier.pk])
    tax_data = TaxData.objects.get()
    assert tax_data.dossier_id == dossier.pk and tax_data.consent.dossier_id == dossier.pk
    assert tax_data.source == "dgfip_franceconnect"


def test_the_dgfip_quota_holds_across_both_servers(servers, browser):
    """Eight lookups in turn on A and B, the quota at four a minute: a quota per server would let all eight pass."""
    forget_redis_keys(servers.prefix, "impot_client")  # the window starts empty, whatever ran before
    sign_in_with_franceconnect(browser, start_on=servers.a, callback_on=servers.a)
    household = FranceConnectIdentity.objects.get().user.household
    outcomes = []
    for turn in range(2 * QUOTA_PER_MINUTE):
        server = (servers.a, servers.b)[turn % 2]
        dossier = DossierFactory(child__household=household, income_declined=False)
        page = authorise_through_franceconnect(browser, dossier, on=server, callback_on=server)
        if page.url.path == reverse("cantine:dossier_review", args=[dossier.pk]):
            outcomes.append("ok")
        else:
            assert page.url.path == reverse("impot:income", args=[dossier.pk])
            outcomes.append("quota" if "Trop de demandes sont en cours" in page.text else "other")
            print(turn, re.findall(r"(?s)<div[^>]*alert[^>]*>.*?</div>", page.text)[:2])

    assert "other" not in outcomes, outcomes
    assert 1 <= outcomes.count("ok") <= QUOTA_PER_MINUTE, outcomes
    assert outcomes[-1] == "quota" and outcomes[-2] == "quota", outcomes  # refused on both servers
    assert TaxData.objects.count() == outcomes.count("ok")


def token_requests_logged(servers) -> int:
    return sum(log.read_text().count("impot_client: token request outcome=") for log in servers.logs)


def test_the_dgfip_token_is_requested_once_for_lookups_arriving_together_on_both_servers(servers):
    """Four families come back from FranceConnect at the same moment, two on each server, with no DGFiP token yet:
    one token request in all (the lease in Redis), and each lookup uses it."""
    forget_redis_keys(servers.prefix, "impot_client")  # no token, an empty quota window
    callbacks = []
    with contextlib.ExitStack() as stack:
        for turn in range(QUOTA_PER_MINUTE):
            server = (servers.a, servers.b)[turn % 2]
            browser = stack.enter_context(httpx.Client(timeout=30))
            sign_in_with_franceconnect(browser, start_on=server, callback_on=server)
            dossier = DossierFactory(
                child__household=FranceConnectIdentity.objects.get().user.household, income_declined=False
            )
            income = browser.get(server + reverse("impot:income", args=[dossier.pk]))
            authorize = reverse("impot:authorize", args=[dossier.pk])
            franceconnect = follow(
                browser, post_form(browser, income, server + authorize, shown=hidden(income, "shown"))
            )
            back = post_form(browser, franceconnect, str(franceconnect.url), identity="test")
            assert back.is_redirect  # to the callback, not followed yet
            callbacks.append((browser, dossier, back))
        before = token_requests_logged(servers)
        together = threading.Barrier(len(callbacks))

        def come_back(browser, back):
            together.wait(timeout=30)
            return follow(browser, back)

        with concurrent.futures.ThreadPoolExecutor(len(callbacks)) as pool:
            pages = list(pool.map(lambda item: come_back(item[0], item[2]), callbacks))

    for (_browser, dossier, _back), page in zip(callbacks, pages, strict=True):
        assert page.url.path == reverse("cantine:dossier_review", args=[dossier.pk])
    assert TaxData.objects.count() == len(callbacks)
    # Each server logs its token request before it answers (unbuffered): the lines are in the files by now.
    assert token_requests_logged(servers) - before == 1


def test_a_task_queued_by_a_server_is_run_once_by_two_workers(servers, browser):
    """Dossiers sent on both servers queue their « demande envoyée » mails; two task workers share the queue: each
    task is claimed by one of them only, so each mail goes out once."""
    household = HouseholdFactory()
    # The servers know production's hasher only (the tests' own is a fast one).
    owner = household.owner
    owner.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    owner.save(update_fields=["password"])
    dossiers = [DossierFactory(child__household=household) for _ in range(8)]
    login = browser.get(servers.a + reverse("portal:login"))
    post_form(
        browser, login, servers.a + reverse("portal:login"), username=household.owner.email, password=PASSWORD
    )
    for n, dossier in enumerate(dossiers):
        server = (servers.a, servers.b)[n % 2]
        review = browser.get(server + reverse("cantine:dossier_review", args=[dossier.pk]))
        sent = post_form(browser, review, server + reverse("cantine:dossier_review", args=[dossier.pk]))
        assert sent.is_redirect and sent.headers["location"].endswith(
            reverse("cantine:dossier_detail", args=[dossier.pk])
        )
    queued = DBTaskResult.objects.filter(task_path="cantine.tasks.dossier_message_send")
    assert queued.count() == len(dossiers)

    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--interval", "0.1"],
            cwd=ROOT,
            env=servers.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    printed = "\n".join(outputs)
    assert len(re.findall(rf"^To: {re.escape(household.owner.email)}$", printed, flags=re.MULTILINE)) == len(
        dossiers
    )
    messages = DossierMessage.objects.filter(dossier__in=dossiers, kind=DossierMessage.Kind.SUBMITTED)
    assert sorted(messages.values_list("attempts", "email_status")) == [(1, "sent")] * len(dossiers)
    assert set(queued.values_list("status", flat=True)) == {"SUCCESSFUL"}
