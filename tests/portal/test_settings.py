import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from cantine.models import Period, Service
from portal.models import User

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
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


def test_franceconnect_simulator_cannot_be_deployed():
    result = run_manage("check", "--deploy", env={**PRODUCTION_ENV, "FRANCECONNECT_SANDBOX": "true"})
    assert result.returncode != 0
    assert "FRANCECONNECT_SANDBOX" in result.stderr


def test_dgfip_simulator_cannot_be_deployed():
    result = run_manage("check", "--deploy", env={**PRODUCTION_ENV, "IMPOT_SANDBOX": "true"})
    assert result.returncode != 0
    assert "impot_sandbox.E001" in result.stderr


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
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; {script}",
        ],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["'self'", "https://oidc.franceconnect.gouv.fr"], result.stderr
