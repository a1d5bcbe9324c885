import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import environ
import httpx
import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.urls import reverse

from cantine.management.commands.seed_demo import DEMO_FAMILY
from cantine.models import Period, Service
from portal.models import User
from portal.settings.test import TEST_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.base",
    "DEBUG": "false",
    "SECRET_KEY": "k3V9-production-like-secret-with-enough-entropy-7fQ2xL0pZr8sT4uW6yB1",
    "ALLOWED_HOSTS": "portail.beauval.example",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_URL": "smtp+tls://portail:secret@smtp.beauval.example:587",
    "FRANCECONNECT_SANDBOX": "false",
    "FRANCECONNECT_ISSUER": "https://oidc.franceconnect.gouv.fr/api/v2",
    "FRANCECONNECT_CLIENT_ID": "client-id-from-datapass",
    "FRANCECONNECT_CLIENT_SECRET": "client-secret-from-datapass",
    "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1saWtlLXRlc3Qta2V5LTMyYnl0ZXM=",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "IMPOT_SANDBOX": "false",
    "IMPOT_API_URL": "https://gateway.dgfip.example/impotparticulier/1.0",
    "IMPOT_TOKEN_URL": "https://gateway.dgfip.example/token",
    "IMPOT_CLIENT_ID": "client-id-from-datapass",
    "IMPOT_CLIENT_SECRET": "client-secret-from-datapass",
    "IMPOT_ID_TELESERVICE": "teleservice-from-datapass",
    "ADMINS": "Service informatique <informatique@beauval.example>",
}


def run_manage(*args, env):
    # The browser tests allow sync database access from Playwright's event loop; a deployment never does.
    inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_any_warning():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_does_warn_when_debug_is_on():
    """Proves the check above can fail: the same command, DEBUG on, must complain."""
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "DEBUG": "true"}
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


# The simulators exist only in the dev and test settings: deploying those is what their check refuses.
SETTINGS_WITH_SIMULATORS = "portal.settings.dev"


def test_franceconnect_simulator_cannot_be_deployed():
    result = run_manage(
        "check",
        "--deploy",
        env={
            **PRODUCTION_ENV,
            "DJANGO_SETTINGS_MODULE": SETTINGS_WITH_SIMULATORS,
            "FRANCECONNECT_SANDBOX": "true",
        },
    )
    assert result.returncode != 0
    assert "FRANCECONNECT_SANDBOX" in result.stderr


def test_dgfip_simulator_cannot_be_deployed():
    result = run_manage(
        "check",
        "--deploy",
        env={**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": SETTINGS_WITH_SIMULATORS, "IMPOT_SANDBOX": "true"},
    )
    assert result.returncode != 0
    assert "impot_sandbox.E001" in result.stderr


def test_production_needs_someone_to_receive_the_alerts():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "ADMINS": ""})
    assert result.returncode != 0
    assert "portal.W001" in result.stderr


def test_dgfip_quota_and_token_need_a_shared_cache_in_production():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "CACHE_URL": "locmemcache://"}
    )
    assert result.returncode != 0
    assert "impot_client.W001" in result.stderr


@pytest.mark.parametrize(
    ("keys", "message"), [("", "FIELD_ENCRYPTION_KEYS est obligatoire"), ("trop-courte", "impot_client.E001")]
)
def test_fiscal_data_needs_valid_encryption_keys(keys, message):
    result = run_manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": keys})
    assert result.returncode != 0
    assert message in result.stderr


SIMULATORS = [
    ("FRANCECONNECT_SANDBOX", "franceconnect_sandbox.E001"),
    ("IMPOT_SANDBOX", "impot_sandbox.E001"),
]


def deployment_errors(check_id):
    return [message for message in run_checks(include_deployment_checks=True) if message.id == check_id]


@pytest.mark.parametrize(("setting", "check_id"), SIMULATORS)
def test_a_simulator_on_without_debug_is_a_deployment_error(settings, setting, check_id):
    settings.DEBUG = False
    setattr(settings, setting, True)
    errors = deployment_errors(check_id)
    assert len(errors) == 1 and errors[0].is_serious()


@pytest.mark.parametrize(("setting", "check_id"), SIMULATORS)
@pytest.mark.parametrize(("debug", "sandbox"), [(True, True), (False, False), (True, False)])
def test_a_simulator_is_fine_when_off_or_with_debug(settings, setting, check_id, debug, sandbox):
    settings.DEBUG = debug
    setattr(settings, setting, sandbox)
    assert deployment_errors(check_id) == []


def test_missing_secret_key_refuses_to_start():
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def run_python(script, env):
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


PRODUCTION_START = """
import sys
import django
from django.core.checks import run_checks
from django.urls import Resolver404, resolve

django.setup()
run_checks(include_deployment_checks=True)  # imports the URLconf and every view it names
for path in ("/sandbox/franceconnect/api/v2/jwks", "/sandbox/dgfip/token"):
    try:
        print("mounted", resolve(path).route)
    except Resolver404:
        pass
print("loaded", *sorted(name for name in sys.modules if name.startswith(("franceconnect.sandbox", "impot_client.sandbox"))))
"""


def test_production_settings_load_no_simulator():
    """Production (base) installs no simulator app and mounts no simulator URL: not one simulator module is
    imported, so there is nothing of them to turn on by mistake."""
    result = run_python(PRODUCTION_START, env={**os.environ, **PRODUCTION_ENV})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["loaded"]


def test_the_test_settings_read_no_dotenv_file():
    """Plain `pytest` on a fresh clone: the test settings hold their own keys, with no .env and none of them in the
    environment, and never read a .env (which would make the suite depend on the developer's machine)."""
    script = (
        "import environ, os;"
        "environ.Env.read_env = lambda *args, **kwargs: print('read_env', *args);"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings.test';"
        "from django.conf import settings;"
        "print(settings.SECRET_KEY, *settings.FIELD_ENCRYPTION_KEYS)"
    )
    fresh = {key: value for key, value in os.environ.items() if key not in TEST_ENVIRONMENT}
    result = run_python(script, env=fresh)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        TEST_ENVIRONMENT["SECRET_KEY"],
        TEST_ENVIRONMENT["FIELD_ENCRYPTION_KEYS"],
    ]


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_builds_the_demo_and_can_run_twice(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert set(Service.objects.values_list("kind", flat=True)) == {"canteen", "creche"}
    assert Period.objects.count() == 4  # this school year and the next, for each service
    family = User.objects.get(email="famille.demo@example.org")
    assert family.check_password("famille-demo-2026")
    assert family.household.children.count() == 2
    assert User.objects.get(email="agent.demo@example.org").is_superuser


def test_csp_lets_forms_redirect_to_franceconnect_and_nowhere_else():
    script = (
        "from django.conf import settings;"
        "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings.base'; {script}",
        ],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["'self'", "https://oidc.franceconnect.gouv.fr"], result.stderr


# Host and port: one setting moves every address of the simulators (`make run HOST=...`).

DEV_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
    "DEBUG": "true",
    "FRANCECONNECT_SANDBOX": "true",
    "IMPOT_SANDBOX": "true",
}
DERIVED = [
    "SITE_URL",
    "ALLOWED_HOSTS",
    "FRANCECONNECT_ISSUER",
    "FRANCECONNECT_SANDBOX_REDIRECT_URIS",
    "FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS",
    "IMPOT_API_URL",
    "IMPOT_TOKEN_URL",
    "ADMINS",
    "ALERT_EMAILS",
]


def settings_in_subprocess(env):
    """The settings a fresh process reads from `env` on top of this one's (and the project's .env, if any)."""
    script = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings.dev';"
        "from django.conf import settings;"
        f"names = {DERIVED!r} + ['CONTENT_SECURITY_POLICY'];"
        "print(json.dumps({name: getattr(settings, name) for name in names}))"
    )
    inherited = {key: value for key, value in os.environ.items() if key not in DERIVED}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_simulator_address_follows_from_site_url():
    """SITE_URL as `make run HOST=127.0.0.1:8080` sets it, and nothing else: the project's .env (http://…:8000 in
    older copies) does not win over the real environment variable."""
    values = settings_in_subprocess({**DEV_ENV, "SITE_URL": "http://127.0.0.1:8080"})
    site = "http://127.0.0.1:8080"
    assert values["SITE_URL"] == site
    assert values["FRANCECONNECT_ISSUER"] == f"{site}/sandbox/franceconnect/api/v2"
    assert values["IMPOT_API_URL"] == f"{site}/sandbox/dgfip/impotparticulier/1.0"
    assert values["IMPOT_TOKEN_URL"] == f"{site}/sandbox/dgfip/token"
    assert set(values["FRANCECONNECT_SANDBOX_REDIRECT_URIS"]) == {
        f"http://{host}:8080{path}"
        for host in ("127.0.0.1", "localhost")
        for path in (
            "/franceconnect/callback/",
            "/demarches/revenus/franceconnect/retour/",
            "/demarches/stationnement/franceconnect/retour/",
        )
    }
    assert set(values["FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS"]) == {
        "http://127.0.0.1:8080/franceconnect/logout/callback/",
        "http://localhost:8080/franceconnect/logout/callback/",
    }
    assert site in values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"]
    assert "8000" not in json.dumps(values)


def test_a_public_site_url_is_an_allowed_host_and_has_no_loopback_alias():
    values = settings_in_subprocess({**DEV_ENV, "SITE_URL": "http://192.0.2.10:8080/", "ALLOWED_HOSTS": ""})
    assert values["SITE_URL"] == "http://192.0.2.10:8080"
    assert "192.0.2.10" in values["ALLOWED_HOSTS"]
    assert values["FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS"] == [
        "http://192.0.2.10:8080/franceconnect/logout/callback/"
    ]


def test_each_address_can_still_be_set_on_its_own():
    values = settings_in_subprocess(
        {
            **DEV_ENV,
            "SITE_URL": "http://127.0.0.1:8080",
            "FRANCECONNECT_ISSUER": "https://fc.example.test/api/v2",
            "FRANCECONNECT_SANDBOX_REDIRECT_URIS": "https://a.example/cb/,https://a.example/retour/",
            "FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS": "https://a.example/bye/",
            "IMPOT_API_URL": "https://gw.example/impotparticulier/1.0",
            "IMPOT_TOKEN_URL": "https://gw.example/token",
            "ALLOWED_HOSTS": "a.example",
        }
    )
    assert values["FRANCECONNECT_ISSUER"] == "https://fc.example.test/api/v2"
    assert values["FRANCECONNECT_SANDBOX_REDIRECT_URIS"] == [
        "https://a.example/cb/",
        "https://a.example/retour/",
    ]
    assert values["FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS"] == ["https://a.example/bye/"]
    assert (values["IMPOT_API_URL"], values["IMPOT_TOKEN_URL"]) == (
        "https://gw.example/impotparticulier/1.0",
        "https://gw.example/token",
    )
    assert values["ALLOWED_HOSTS"] == ["a.example"]


def test_the_dotenv_file_never_overrides_a_real_environment_variable(tmp_path, monkeypatch):
    """What `make run HOST=...` relies on: settings read .env with django-environ's default overwrite=False."""
    dotenv = tmp_path / ".env"
    dotenv.write_text("SITE_URL=http://127.0.0.1:8000\n")
    monkeypatch.setenv("SITE_URL", "http://127.0.0.1:8080")
    environ.Env.read_env(dotenv)
    assert os.environ["SITE_URL"] == "http://127.0.0.1:8080"


def test_make_run_gives_site_url_from_host_to_every_command():
    result = subprocess.run(
        ["make", "-n", "-o", "install", "-o", ".env", "-o", "env-keys", "run", "HOST=127.0.0.1:8080"],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if key != "SITE_URL"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    commands = [part for part in re.split(r"[;&\n]", result.stdout) if "manage.py" in part]
    assert len(commands) == 5  # migrate, seed_demo, seed_parking_demo, db_worker, runserver
    assert all(command.strip().startswith("SITE_URL=http://127.0.0.1:8080 ") for command in commands)
    assert "runserver 127.0.0.1:8080" in result.stdout


def test_the_example_env_file_pins_no_address():
    """`make` copies it to .env: a SITE_URL there would pin the port for anyone running without make."""
    assignments = [
        line for line in (ROOT / ".env.example").read_text().splitlines() if not line.startswith("#")
    ]
    assert not [line for line in assignments if line.startswith(("SITE_URL=", "ALLOWED_HOSTS="))]


def test_admins_and_alert_emails_come_from_the_environment():
    admins = '"Dupont, Jean" <jean.dupont@beauval.example>, Régie <regie@beauval.example>'
    values = settings_in_subprocess({"ADMINS": admins})
    assert values["ADMINS"] == [
        ["Dupont, Jean", "jean.dupont@beauval.example"],
        ["Régie", "regie@beauval.example"],
    ]
    assert values["ALERT_EMAILS"] == ["jean.dupont@beauval.example", "regie@beauval.example"]
    values = settings_in_subprocess({"ADMINS": admins, "ALERT_EMAILS": "astreinte@beauval.example"})
    assert values["ALERT_EMAILS"] == ["astreinte@beauval.example"]
    assert settings_in_subprocess({})["ALERT_EMAILS"] == []


def test_manage_py_check_prints_no_warning():
    """authlib 1.9 printed a deprecation warning at every start of every command."""
    result = run_manage("check", env=DEV_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Warning" not in result.stdout and "deprecated" not in result.stdout


DRAFT_FOR_THE_DEMO_FAMILY = """
from cantine.models import Dossier, Period
from cantine.management.commands.seed_demo import DEMO_FAMILY
from portal.models import User
from portal.settings.test import TEST_ENVIRONMENT

child = User.objects.get(email=DEMO_FAMILY[0]).household.children.order_by("birth_date").first()
period = Period.objects.filter(service__kind="canteen").order_by("starts_on").first()
dossier = Dossier.objects.create(
    child=child, period=period, service=period.service, establishment=period.service.establishments.first(),
    canteen_days=["mon", "tue", "thu", "fri"],
)
print(dossier.pk)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def portal_on_another_port(tmp_path):
    """What `make run HOST=127.0.0.1:<port>` starts, with SITE_URL as the Makefile gives it and no other setting
    (a database of its own aside). Yields the base URL and the id of a canteen draft of the demo family."""
    site = f"http://127.0.0.1:{free_port()}"
    env = {
        **DEV_ENV,
        "SITE_URL": site,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    inherited = {key: value for key, value in os.environ.items() if key not in DERIVED}
    for command in (["migrate", "--noinput"], ["seed_demo"], ["shell", "-c", DRAFT_FOR_THE_DEMO_FAMILY]):
        result = run_manage(*command, env={**inherited, **env})
        assert result.returncode == 0, result.stderr
    dossier_pk = int(result.stdout.split()[-1])
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", site.removeprefix("http://"), "--noreload"],
        cwd=ROOT,
        env={**inherited, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(100):
            try:
                httpx.get(f"{site}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield site, dossier_pk
    finally:
        server.terminate()
        server.wait(timeout=10)


def form_post(browser, page, url, **data):
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(url, data={"csrfmiddlewaretoken": token, **data}, headers={"Referer": str(page.url)})


def test_make_run_on_another_port_runs_the_franceconnect_and_numero_fiscal_journeys(portal_on_another_port):
    site, dossier_pk = portal_on_another_port
    with httpx.Client(base_url=site, follow_redirects=True, timeout=10) as browser:
        authorize = browser.get(reverse("franceconnect:login"))
        assert str(authorize.url).startswith(f"{site}/sandbox/franceconnect/api/v2/authorize?")
        dashboard = form_post(browser, authorize, str(authorize.url), identity="test")
        assert (dashboard.status_code, str(dashboard.url)) == (200, site + reverse("portal:dashboard"))
        assert "Certifiée par FranceConnect" in dashboard.text

    with httpx.Client(base_url=site, follow_redirects=True, timeout=10) as browser:
        login = browser.get(reverse("portal:login"))
        email, password = DEMO_FAMILY
        form_post(browser, login, reverse("portal:login"), username=email, password=password)
        income = browser.get(reverse("impot:income", args=[dossier_pk]))
        assert income.status_code == 200 and "API Particulier" in income.text  # the demo grid asks the CAF first
        shown = re.search(r'name="shown" value="([^"]+)"', income.text).group(1)
        income = form_post(browser, income, reverse("impot:benefit_decline", args=[dossier_pk]), shown=shown)
        assert income.status_code == 200 and "J'autorise" in income.text  # then DGFiP
        shown = re.search(r'name="shown" value="([^"]+)"', income.text).group(1)
        review = form_post(
            browser,
            income,
            reverse("impot:authorize", args=[dossier_pk]),
            shown=shown,
            numero_fiscal="3999990000025",
        )
        assert (review.status_code, str(review.url)) == (
            200,
            site + reverse("cantine:dossier_review", args=[dossier_pk]),
        )
        assert "a transmis des revenus pour ce numéro fiscal" in review.text
        assert "38500" not in review.text  # a local account never reads figures obtained by number
