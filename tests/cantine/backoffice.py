"""Agents, and dossiers as agents find them, for the back-office tests (actions, audit, notifications)."""

from django.contrib.auth.models import Group, Permission

from api_particulier.situation import EajeResources, Person, QuotientFamilial
from cantine import roles, services
from cantine.income import benefits
from cantine.income.services import consent_record
from cantine.models import TariffGrid
from impot_client import services as impot_services
from portal.models import Consent
from tests.cantine.grids import PARIS
from tests.factories import DossierFactory, UserFactory
from tests.impot_client.conftest import grant, situation_for

AGENT_IP = "203.0.113.7"


def staff(*permissions, group=roles.CANTEEN_AGENTS):
    """A canteen agent (the group's permissions) with `permissions` on top, as "app_label.codename"."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def grid_for(period, data=PARIS, version=1, is_active=True):
    return TariffGrid.objects.create(
        period=period, version=version, label="Délibération", data=data, is_active=is_active
    )


def with_grid(dossier, data=PARIS):
    grid_for(dossier.period, data)
    return dossier


def with_income(dossier, rfr=28000, parts="2.5", nb_pac=1):
    """Figures from DGFiP, through the real consent and storage: with the Paris grid, QF 933,33 and 2,28 €. A
    crèche's figures come from the CAF instead (DGFiP's may not set a PSU rate): the same resources, `rfr` as the
    annual resources and `nb_pac` as the children in charge."""
    if dossier.service.kind == "creche":
        return with_caf_income(dossier, annual_resources=rfr, children=nb_pac)
    holder = dossier.child.household.adults.get(role="holder")
    impot_services._tax_data_store(
        consent=grant(dossier, mode="franceconnect"),
        situation=situation_for(holder, rfr=rfr, nb_parts=parts, nb_pac=nb_pac),
    )
    return dossier


def submitted(dossier):
    """The family sends its dossier."""
    return services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)


def submitted_with_quote(**kwargs):
    """A canteen dossier sent with the Paris grid in force, its income declined: quoted 4,61 € a meal."""
    return submitted(with_grid(DossierFactory(**kwargs)))


def under_review(dossier, agent=None):
    return services.dossier_start_review(dossier=dossier, agent=agent or UserFactory(is_staff=True))


def with_caf_income(dossier, *, qf=1069, annual_resources=38500, children=2, aeeh=0, mode="franceconnect"):
    """Figures from the CAF (API Particulier), through the real consent and storage, for the household's holder
    and the enrolled child: the QF of a month for a canteen, the EAJE resources for a crèche."""
    consent = consent_record(
        user=dossier.child.household.owner,
        dossier=dossier,
        source=Consent.Source.API_PARTICULIER,
        decision="granted",
        mode=mode,
        shown_text_hash="a" * 64,
    )
    return benefits._store(
        consent=consent,
        answer=caf_answer(dossier, qf=qf, annual_resources=annual_resources, children=children, aeeh=aeeh),
    ).dossier


def caf_answer(
    dossier, *, qf=1069, annual_resources=38500, children=2, aeeh=0, provider="CAF", adults=None, child=None
):
    """What API Particulier would answer for `dossier`'s household (its holder, its enrolled child)."""
    household = dossier.child.household
    adults = adults if adults is not None else [household.adults.get(role="holder")]
    child = child or dossier.child
    allocataires = tuple(
        Person(adult.last_name.upper(), "", adult.first_names.upper(), adult.birth_date, "F")
        for adult in adults
    )
    enfants = (Person(child.last_name.upper(), "", child.first_names.upper(), child.birth_date, "M"),)
    if dossier.service.kind == "creche":
        return EajeResources(
            annual_resources=annual_resources,
            year=2024,
            children=children,
            aeeh_children=aeeh,
            allocataires=allocataires,
            enfants=enfants,
            correlation_id="corr-caf",
            provider=provider,
        )
    return QuotientFamilial(
        provider=provider,
        value=qf,
        year=2026,
        month=3,
        calculation_year=2026,
        calculation_month=3,
        allocataires=allocataires,
        enfants=enfants,
        correlation_id="corr-caf",
    )
