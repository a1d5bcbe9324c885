"""Demo data for `make run`: establishments, services, this school year and the next, agents and a family.

Idempotent: running it again leaves existing rows alone. Refuses to run with DEBUG off,
so the published demo passwords never reach a production database.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cantine import roles
from cantine.models import (
    AgeGroup,
    CommitteeSession,
    CrecheCapacity,
    Establishment,
    Period,
    Service,
    TariffGrid,
)
from portal import services as portal_services
from portal.models import Adult, Child, User

DEMO_AGENT = ("agent.demo@example.org", "agent-demo-2026")  # a superuser
# One agent per group, with the same password; every demo agent has a TOTP device with the same published key.
DEMO_AGENTS = {
    "cantine.demo@example.org": roles.CANTEEN_AGENTS,
    "petite-enfance.demo@example.org": roles.CRECHE_AGENTS,
    "responsable.demo@example.org": roles.MANAGERS,
}
# RFC 6238's test key (hex, as django-otp stores it); authenticator apps take it in base32.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_TOTP_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
# A canteen grid that meets the "cantine à 1 €" conditions (with a lower price from the 3rd child), deliberated on
# the CAF quotient familial, then DGFiP's for families the CAF does not know, then a notice; and the CNAF barème for
# the crèches, on the CAF/MSA resources (API Particulier) or a notice, never DGFiP's.
DEMO_GRIDS = {
    Service.Kind.CANTEEN: {
        "label": "Délibération du conseil municipal (démonstration)",
        "data": {
            "kind": "brackets",
            "qf_formula": "rfr/12/parts",
            "unit": "meal",
            "income": ["caf", "dgfip", "notice"],
            "brackets": [
                {"up_to": "450", "price": "0.80"},
                {"up_to": "1000", "price": "1.00"},
                {"up_to": "1500", "price": "2.60", "price_by_rank": {"3": "1.90"}},
                {"up_to": "2200", "price": "3.40", "price_by_rank": {"3": "2.40"}},
                {"up_to": None, "price": "4.20", "price_by_rank": {"3": "2.90"}},
            ],
        },
    },
    Service.Kind.CRECHE: {
        "label": "Barème national CNAF (PSU), crèche collective",
        "data": {
            "kind": "psu",
            "establishment": "collective",
            "ceiling_lifted": False,
            "income": ["caf", "notice"],
        },
    },
}
# Places per section (bébés, moyens, grands) in each demo crèche.
DEMO_PLACES = {AgeGroup.BABIES: 10, AgeGroup.MIDDLE: 12, AgeGroup.OLDER: 15}
DEMO_FAMILY = ("famille.demo@example.org", "famille-demo-2026")

SCHOOLS = ["École Jules-Ferry", "École Louise-Michel"]
CRECHES = ["Crèche Les Petits Pas", "Crèche Arc-en-ciel", "Micro-crèche Les Lucioles"]


def school_year_start(today: date) -> int:
    return today.year if today.month >= 9 else today.year - 1


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (établissements, services, années scolaires, comptes de démo)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Autoriser l'exécution même avec DEBUG désactivé."
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo publie des mots de passe connus : réservé au développement (DEBUG=true)."
            )
        today = timezone.localdate()
        schools = [self._establishment(name, Establishment.Kind.SCHOOL) for name in SCHOOLS]
        creches = [self._establishment(name, Establishment.Kind.CRECHE) for name in CRECHES]
        canteen = self._service(
            "restauration-scolaire",
            "Restauration scolaire",
            Service.Kind.CANTEEN,
            schools,
            "Repas du midi dans les écoles de la commune, les jours de votre choix.",
        )
        creche = self._service(
            "creche",
            "Crèche municipale",
            Service.Kind.CRECHE,
            creches,
            "Accueil régulier des enfants de moins de 3 ans (6 ans pour un enfant bénéficiaire de l'AEEH).",
            max_age=3,
            max_age_disability=6,
        )
        year = school_year_start(today)
        for service in (canteen, creche):
            # This school year: open all year for families who arrive in the commune.
            self._period(service, year, opens=date(year, 5, 1), closes=date(year + 1, 6, 15))
            # Next school year: opens in the spring, as the commune does.
            self._period(service, year + 1, opens=date(year + 1, 3, 1), closes=date(year + 1, 7, 15))
        self._creche_places(creches, creche, today)
        self._agents()
        self._family(today, schools[0])
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"  Famille : {DEMO_FAMILY[0]} / {DEMO_FAMILY[1]}")
        self.stdout.write(f"  Agents (/admin/, mot de passe {DEMO_AGENT[1]}) :")
        self.stdout.write(f"    {DEMO_AGENT[0]} (superutilisateur)")
        for email, group in DEMO_AGENTS.items():
            self.stdout.write(f"    {email} ({group})")
        self.stdout.write(
            f"  Code à 6 chiffres : python manage.py demo_totp EMAIL, ou la clé {DEMO_TOTP_KEY_BASE32} "
            "dans une application d'authentification."
        )

    def _establishment(self, name, kind):
        establishment, _ = Establishment.objects.get_or_create(
            name=name, defaults={"kind": kind, "address": f"{name}, 1 rue de la Mairie"}
        )
        return establishment

    def _service(self, slug, name, kind, establishments, description, max_age=None, max_age_disability=None):
        service, created = Service.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "description": description,
                "max_age_years": max_age,
                "max_age_years_with_disability": max_age_disability,
            },
        )
        if created:
            service.establishments.set(establishments)
        return service

    def _period(self, service, year, *, opens, closes):
        ends = date(year + 1, 7, 4) if service.kind == Service.Kind.CANTEEN else date(year + 1, 8, 31)
        period, _created = Period.objects.get_or_create(
            service=service,
            label=f"Année scolaire {year}-{year + 1}",
            defaults={
                "starts_on": date(year, 9, 1),
                "ends_on": ends,
                "enrolment_opens_on": opens,
                "enrolment_closes_on": closes,
            },
        )
        if not period.tariff_grids.exists():
            grid = DEMO_GRIDS[service.kind]
            TariffGrid.objects.create(
                period=period, version=1, label=grid["label"], data=grid["data"], is_active=True
            )

    def _creche_places(self, creches, service, today):
        """Places per section in each crèche, and the next commission d'attribution of each open period."""
        for establishment in creches:
            for age_group, places in DEMO_PLACES.items():
                CrecheCapacity.objects.get_or_create(
                    establishment=establishment,
                    age_group=age_group,
                    from_date=date(school_year_start(today), 9, 1),
                    defaults={"places": places},
                )
        for period in service.periods.filter(ends_on__gte=today, committee_sessions__isnull=True):
            held_on = max(today, period.enrolment_opens_on) + timedelta(days=14)
            CommitteeSession.objects.create(
                period=period, held_on=held_on, decision_date=held_on + timedelta(days=3)
            )

    def _agents(self):
        email, password = DEMO_AGENT
        superuser = User.objects.filter(email=email).first() or User.objects.create_superuser(
            email=email, password=password, email_confirmed_at=timezone.now()
        )
        agents = [superuser]
        for email, group_name in DEMO_AGENTS.items():
            agent = User.objects.filter(email=email).first()
            if agent is None:
                agent = User.objects.create_user(
                    email=email, password=password, is_staff=True, email_confirmed_at=timezone.now()
                )
                # The migration created the group; a test database a transactional test emptied has lost it.
                agent.groups.add(Group.objects.get_or_create(name=group_name)[0])
            agents.append(agent)
        for agent in agents:
            TOTPDevice.objects.get_or_create(
                user=agent, name="Démo", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
            )

    def _family(self, today, school):
        email, password = DEMO_FAMILY
        if User.objects.filter(email=email).exists():
            return
        user = portal_services.family_account_seed(
            email=email,
            password=password,
            first_names="Claire",
            last_name="Martin",
            birth_date=date(1988, 4, 12),
            phone="06 12 34 56 78",
        )
        household = user.household
        # The holder's civil status the CAF is asked by (API Particulier's simulator knows her: martin_demo).
        household.adults.filter(role=Adult.Role.HOLDER).update(
            birth_name="MARTIN", sex="F", birth_country="99100", birth_commune="69123"
        )
        portal_services.adult_save(
            household=household,
            role=Adult.Role.SECOND_PARENT,
            first_names="Karim",
            last_name="Martin",
            birth_date=date(1986, 11, 3),
        )
        portal_services.child_create(
            household=household,
            first_names="Léa",
            last_name="Martin",
            birth_date=date(school_year_start(today) - 7, 3, 14),
            school=school,
            class_level=Child.ClassLevel.CE1,
            diet=Child.Diet.NO_PORK,
        )
        portal_services.child_create(
            household=household,
            first_names="Hugo",
            last_name="Martin",
            birth_date=today - timedelta(days=300),
        )
