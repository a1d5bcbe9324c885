"""`python manage.py seed_scale`: a commune's worth of fictitious families for `make bench`, on top of seed_demo.

20 000 households, 30 000 children and 100 000 dossiers (`--scale 0.1` for a tenth) over the demo's two school
years of each service: canteen dossiers for the school-age children, crèche ones for the youngest, cancelled
requests made again, every income state (DGFiP figures, a refusal, figures by numéro fiscal to confirm, a notice to
check, no answer), status histories, and the quotes of the grids in force (computed by quotes_recompute). Written
with bulk_create, in a few minutes at full scale. Idempotent: a second run finds the families and stops. Refuses
to run with DEBUG off, as seed_demo does (known passwords).

Also one family for the family pages' figures: `bench.famille@example.invalid` (password BENCH_PASSWORD), three
children, two canteen dossiers and a crèche application on the waiting list."""

import random
import time
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from cantine.models import CrecheChoice, Dossier, DossierStatusChange, Period, Service
from cantine.services.quotes import quotes_recompute
from impot_client.models import TaxData, TaxNotice
from portal.models import Adult, Child, Consent, Household, User

EMAIL = "bench.{n}@example.invalid"
FAMILY_EMAIL = "bench.famille@example.invalid"
BENCH_PASSWORD = "bench-famille-2026"
HOUSEHOLDS, CHILDREN, DOSSIERS = 20_000, 30_000, 100_000
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
]
FIRST_NAMES = [
    "Léa",
    "Hugo",
    "Emma",
    "Louis",
    "Jade",
    "Gabriel",
    "Chloé",
    "Arthur",
    "Inès",
    "Jules",
    "Zoé",
    "Adam",
]
Status = Dossier.Status
# Live dossiers' statuses, by weight.
STATUSES = [
    (Status.ACCEPTED, 60),
    (Status.SUBMITTED, 14),
    (Status.UNDER_REVIEW, 8),
    (Status.AWAITING_DOCUMENTS, 4),
    (Status.DRAFT, 8),
    (Status.REJECTED, 6),
]
# Income answers, by weight: DGFiP figures (FranceConnect), refused, figures by numéro fiscal waiting for an
# agent, a notice to check, no answer yet.
INCOMES = [("dgfip", 50), ("refused", 25), ("numero_fiscal", 8), ("notice", 4), ("missing", 13)]
BATCH = 5000


def _pick(rng, table):
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


class Command(BaseCommand):
    help = "Charge un jeu de données à l'échelle d'une commune (familles fictives) pour make bench."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="fraction du jeu complet (1 = 100 000 demandes)"
        )
        parser.add_argument(
            "--force", action="store_true", help="Autoriser l'exécution même avec DEBUG désactivé."
        )

    def handle(self, *args, scale=1.0, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_scale crée des comptes au mot de passe connu : réservé au développement."
            )
        call_command("seed_demo", force=True, stdout=self.stdout)
        if User.objects.filter(email=FAMILY_EMAIL).exists():
            self.stdout.write(f"Jeu à l'échelle déjà présent : {Dossier.objects.count()} demandes.")
            self._statistics_refresh()
            return
        started = time.monotonic()
        # Fictitious families, reproducible: nothing secret is drawn here.
        rng = random.Random(17)  # noqa: S311  # nosec B311
        households = max(int(HOUSEHOLDS * scale), 10)
        children = max(int(CHILDREN * scale), 15)
        with transaction.atomic():
            self._families(rng, households, children)
            self._dossiers(rng, int(DOSSIERS * scale))
            self._bench_family()
        for period in Period.objects.all():
            quotes_recompute(period=period)
        self._statistics_refresh()
        self.stdout.write(
            f"Jeu à l'échelle prêt en {time.monotonic() - started:.0f} s : {Household.objects.count()} foyers, "
            f"{Child.objects.count()} enfants, {Dossier.objects.count()} demandes."
        )

    def _statistics_refresh(self):
        """The planner's statistics of the rows just written: without them (autovacuum off, or not yet run) the
        pages' plans are guessed from empty tables, and the dashboard's dossier query took 24-49 ms instead of
        0.8 ms. VACUUM also sets the visibility map that index-only scans rely on."""
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    def _families(self, rng, households, children):
        password = make_password(BENCH_PASSWORD)
        now = timezone.now()
        User.objects.bulk_create(
            (
                User(email=EMAIL.format(n=n), password=password, email_confirmed_at=now)
                for n in range(households)
            ),
            batch_size=BATCH,
        )
        users = User.objects.filter(email__startswith="bench.", email__endswith="@example.invalid")
        Household.objects.bulk_create(
            (
                Household(owner_id=pk, address=f"{pk} rue de la Mairie")
                for pk in users.values_list("pk", flat=True)
            ),
            batch_size=BATCH,
        )
        ids = list(Household.objects.filter(owner__in=users).values_list("pk", flat=True))
        adults = []
        for pk in ids:
            last = rng.choice(LAST_NAMES)
            adults.append(
                Adult(
                    household_id=pk,
                    role=Adult.Role.HOLDER,
                    first_names=rng.choice(FIRST_NAMES),
                    last_name=f"{last}{pk}",
                    birth_date=date(1980 + pk % 15, 1 + pk % 12, 1 + pk % 28),
                )
            )
            if rng.random() < 0.7:
                adults.append(
                    Adult(
                        household_id=pk,
                        role=Adult.Role.SECOND_PARENT,
                        first_names=rng.choice(FIRST_NAMES),
                        last_name=f"{last}{pk}",
                    )
                )
        Adult.objects.bulk_create(adults, batch_size=BATCH)
        today = timezone.localdate()
        # One child per household, then the rest at random; one in five young enough for the crèche.
        owners = ids + [rng.choice(ids) for _extra in range(children - len(ids))]
        Child.objects.bulk_create(
            (
                Child(
                    household_id=pk,
                    first_names=rng.choice(FIRST_NAMES),
                    last_name=f"Enfant{pk}",
                    birth_date=today
                    - timedelta(days=rng.randint(90, 900) if rng.random() < 0.2 else rng.randint(1200, 4000)),
                    has_disability=rng.random() < 0.02,
                )
                for pk in owners
            ),
            batch_size=BATCH,
        )

    def _dossiers(self, rng, total):
        today = timezone.localdate()
        now = timezone.now()
        canteen = Service.objects.get(slug="restauration-scolaire")
        creche = Service.objects.get(slug="creche")
        periods = {service: list(service.periods.order_by("starts_on")) for service in (canteen, creche)}
        schools = list(canteen.establishments.all())
        creches = list(creche.establishments.all())
        kids = list(
            Child.objects.filter(household__owner__email__endswith="@example.invalid").values_list(
                "pk", "birth_date"
            )
        )
        pairs = []  # (child, service, period): one live dossier each, then cancelled ones made again
        for child, born in kids:
            service = creche if (today - born).days < 3 * 365 else canteen
            for period in periods[service]:
                pairs.append((child, service, period))
        rng.shuffle(pairs)
        live = pairs[:total]
        cancelled = [rng.choice(pairs) for _extra in range(max(total - len(live), 0))]
        dossiers = []
        for index, (child, service, period) in enumerate(live + cancelled):
            status = _pick(rng, STATUSES) if index < len(live) else Status.CANCELLED
            sent = (
                None if status == Status.DRAFT else now - timedelta(days=rng.randint(0, 200), minutes=index)
            )
            dossier = Dossier(
                child_id=child,
                service=service,
                period=period,
                status=status,
                submitted_at=sent,
                establishment=rng.choice(schools) if service == canteen else None,
            )
            if service == canteen:
                dossier.canteen_days = rng.sample(["mon", "tue", "thu", "fri"], rng.randint(1, 4))
            else:
                dossier.creche_start_date = period.starts_on
                dossier.creche_schedule = {"mon": ["08:30", "17:30"], "tue": ["08:30", "17:30"]}
                dossier.creche_single_parent = rng.random() < 0.2
                dossier.creche_parents_working = rng.random() < 0.8
            dossiers.append(dossier)
        Dossier.objects.bulk_create(dossiers, batch_size=BATCH)
        rows = Dossier.objects.filter(
            child__household__owner__email__endswith="@example.invalid"
        ).values_list(
            "pk", "status", "service__kind", "child__household", "child__household__owner", "submitted_at"
        )
        history, choices, consents, data, notices = [], [], [], [], []
        households_of = {}
        for pk, status, kind, household, owner, sent in rows.iterator(chunk_size=BATCH):
            households_of[pk] = (household, owner)
            if status != Status.DRAFT:
                history.append(
                    DossierStatusChange(
                        dossier_id=pk, from_status=Status.DRAFT, to_status=Status.SUBMITTED, at=sent
                    )
                )
                if status not in (Status.SUBMITTED, Status.CANCELLED):
                    history.append(
                        DossierStatusChange(
                            dossier_id=pk, from_status=Status.SUBMITTED, to_status=status, at=sent
                        )
                    )
            if kind == Service.Kind.CRECHE:
                choices.extend(
                    CrecheChoice(dossier_id=pk, establishment=creche, rank=rank)
                    for rank, creche in enumerate(rng.sample(creches, 2), start=1)
                )
            income = _pick(rng, INCOMES) if status != Status.CANCELLED else "missing"
            if income == "missing":
                continue
            granted = income in ("dgfip", "numero_fiscal")
            consents.append(
                Consent(
                    dossier_id=pk,
                    household_id=household,
                    user_id=owner,
                    decision=Consent.Decision.GRANTED if granted else Consent.Decision.REFUSED,
                    mode=("franceconnect" if income == "dgfip" else "numero_fiscal") if granted else "",
                    fields=["rfr", "nb_parts", "nb_pac"] if granted else [],
                    purpose="Calcul du tarif",
                    text_hash="0" * 64,
                    given_at=sent or now,
                )
            )
            if income == "notice":
                notices.append(
                    TaxNotice(
                        dossier_id=pk,
                        household_id=household,
                        file=f"avis/{household}/bench",
                        content_type="application/pdf",
                        size=1000,
                        uploaded_by_id=owner,
                    )
                )
        DossierStatusChange.objects.bulk_create(history, batch_size=BATCH)
        CrecheChoice.objects.bulk_create(choices, batch_size=BATCH)
        Consent.objects.bulk_create(consents, batch_size=BATCH)
        TaxNotice.objects.bulk_create(notices, batch_size=BATCH)
        for consent_pk, dossier_pk, mode in Consent.objects.filter(
            decision=Consent.Decision.GRANTED, dossier__in=households_of
        ).values_list("pk", "dossier", "mode"):
            household, _owner = households_of[dossier_pk]
            data.append(
                TaxData(
                    dossier_id=dossier_pk,
                    household_id=household,
                    consent_id=consent_pk,
                    source=TaxData.Source.DGFIP_FRANCECONNECT
                    if mode == "franceconnect"
                    else TaxData.Source.DGFIP_NUMERO_FISCAL,
                    year=today.year - 1,
                    rfr=rng.randint(0, 120_000),
                    nb_parts=rng.choice([1, 2, 2.5, 3, 3.5]),
                    nb_pac=rng.randint(0, 4),
                    identity_mismatch=mode != "franceconnect" and rng.random() < 0.3,
                )
            )
        TaxData.objects.bulk_create(data, batch_size=BATCH)

    def _bench_family(self):
        """The family whose pages make bench measures: three children, two canteen dossiers, a crèche application."""
        now, today = timezone.now(), timezone.localdate()
        user = User.objects.create_user(email=FAMILY_EMAIL, password=BENCH_PASSWORD, email_confirmed_at=now)
        household = Household.objects.create(owner=user, address="1 place de la Mairie")
        Adult.objects.create(
            household=household, role=Adult.Role.HOLDER, first_names="Claire", last_name="Banc"
        )
        canteen = Service.objects.get(slug="restauration-scolaire")
        creche = Service.objects.get(slug="creche")
        period = {service: service.periods.order_by("starts_on").first() for service in (canteen, creche)}
        for n, days in enumerate((3000, 2500, 200)):
            child = Child.objects.create(
                household=household,
                first_names=FIRST_NAMES[n],
                last_name="Banc",
                birth_date=today - timedelta(days=days),
            )
            service = creche if days < 365 else canteen
            dossier = Dossier.objects.create(
                child=child,
                service=service,
                period=period[service],
                status=Status.SUBMITTED,
                submitted_at=now - timedelta(days=20),
                canteen_days=["mon", "tue"] if service == canteen else [],
                establishment=canteen.establishments.first() if service == canteen else None,
                creche_start_date=period[service].starts_on if service == creche else None,
                creche_schedule={"mon": ["08:30", "17:30"]} if service == creche else {},
            )
            Consent.objects.create(
                dossier=dossier,
                household=household,
                user=user,
                decision=Consent.Decision.REFUSED,
                purpose="Calcul du tarif",
                text_hash="0" * 64,
            )
            if service == creche:
                dossier.creche_choices.create(establishment=creche.establishments.first(), rank=1)
