"""The pages of issue 17's table, as `make bench` loads them: their address, a session cookie for the family or the
agent (the agent's session has passed the second factor, as after the admin's sign-in), and the queries each one
runs, counted in this process with the same session (django.test.Client, CaptureQueriesContext).

`python bench/pages.py [name]` (bench/scale.py runs it in the checkout it serves, DEBUG off, behind the TLS proxy)
prints the pages whose name holds `name` as one line of JSON."""

import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass

if __name__ == "__main__":
    import django

    sys.path.insert(0, os.getcwd())  # the checkout served (bench/scale.py's BENCH_PORTAL_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    django.setup()

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string
from django_otp.plugins.otp_totp.models import TOTPDevice

from cantine.management.commands.seed_scale import FAMILY_EMAIL
from cantine.models import Dossier, Period, Service
from portal.models import User


@dataclass
class Target:
    name: str
    path: str
    cookie: str
    queries: int = 0
    in_process_ms: float = 0.0


def session_cookie(user, device=None) -> str:
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if device is not None:
        store["otp_device_id"] = device.persistent_id
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def measure(target: Target, runs=20) -> Target:
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    name, _eq, value = target.cookie.partition("=")
    if value:
        client.cookies[name] = value
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target.path)
    if response.status_code != 200:
        print(f"  ! {target.name} : HTTP {response.status_code} en processus")
    target.queries = len(queries)
    samples = []
    for _run in range(runs):
        started = time.perf_counter()
        client.get(target.path)
        samples.append(time.perf_counter() - started)
    target.in_process_ms = statistics.median(samples) * 1e3
    return target


def targets(only="") -> list[Target]:
    family = User.objects.get(email=FAMILY_EMAIL)
    agent = User.objects.filter(is_superuser=True).order_by("pk").first()
    device = TOTPDevice.objects.filter(user=agent).first()
    family_cookie, agent_cookie = session_cookie(family), session_cookie(agent, device)
    mine = Dossier.objects.filter(child__household__owner=family).select_related("service")
    canteen = mine.filter(service__kind=Service.Kind.CANTEEN).first()
    creche = mine.filter(service__kind=Service.Kind.CRECHE).first()
    period = Period.objects.filter(service__kind=Service.Kind.CANTEEN).order_by("starts_on").first()
    some_dossier = Dossier.objects.exclude(status=Dossier.Status.DRAFT).order_by("pk")[1000:1001].get()
    pages = [
        Target("home", "/", ""),
        Target("sign-in", "/compte/connexion/", ""),
        Target("family dashboard (3 children)", "/espace/", family_cookie),
        Target("canteen dossier page", f"/demarches/dossiers/{canteen.pk}/", family_cookie),
        Target("crèche dossier page (waiting list)", f"/demarches/dossiers/{creche.pk}/", family_cookie),
        Target(
            "enrolment form",
            f"/demarches/inscription/{canteen.service.slug}/?child={canteen.child_id}",
            family_cookie,
        ),
        Target(
            "tariff estimator with inputs",
            f"/demarches/tarifs/estimer/?period={period.pk}&rfr=30000&parts=2%2C5&rank=1",
            "",
        ),
        Target("agents' dossier list (unfiltered)", "/admin/cantine/dossier/", agent_cookie),
        Target(
            "agents' dossier list (flag filter)", "/admin/cantine/dossier/?signalement=identite", agent_cookie
        ),
        Target(
            "agents' dossier list (status+service)",
            f"/admin/cantine/dossier/?status__exact=submitted&service__id__exact={canteen.service_id}",
            agent_cookie,
        ),
        Target("agents' dossier list (name search)", "/admin/cantine/dossier/?q=Moreau12", agent_cookie),
        Target("agents' dossier page", f"/admin/cantine/dossier/{some_dossier.pk}/change/", agent_cookie),
    ]
    return [measure(page) for page in pages if only in page.name]


if __name__ == "__main__":
    print(json.dumps([asdict(target) for target in targets(sys.argv[1] if len(sys.argv) > 1 else "")]))
