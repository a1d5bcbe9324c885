"""Writes on a dossier's CAF or MSA figures (API Particulier): the lookup its consent allows, by FranceConnect or
by the holder's identity, the cross-checks with the household, an agent's confirmation, and their erasure.

The lookup happens outside any transaction (the family waits on the network, not on a lock); what it returns is
written in one transaction afterwards, and only the figures the tariff uses are kept (no name, no address)."""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api_particulier import client
from api_particulier.alerts import alert_agents
from api_particulier.identity import household_pivot
from api_particulier.situation import (
    QUOTIENT_FAMILIAL_SCOPES,
    EajeResources,
    InvalidIdentity,
    NotFound,
    ParticulierError,
    QuotientFamilial,
)
from cantine import services as cantine_services
from cantine import workflow
from cantine.models import BenefitRefreshSchedule, Dossier, FamilyBenefitData, Service
from portal.audit import audit_record
from portal.identity import household_identity_keys, identity_key, people_identity_keys
from portal.models import AuditEntry, Consent

logger = logging.getLogger(__name__)

QF_FIELDS = ["quotient_familial"]
EAJE_FIELDS = ["base_ressources_annuelles", "nombre_enfants_a_charge", "nombre_enfants_beneficiaire_aeeh"]
FIELD_LABELS = {
    "quotient_familial": gettext_lazy("votre quotient familial du mois en cours"),
    "base_ressources_annuelles": gettext_lazy(
        "les ressources annuelles retenues pour la participation familiale"
    ),
    "nombre_enfants_a_charge": gettext_lazy("le nombre d'enfants à votre charge"),
    "nombre_enfants_beneficiaire_aeeh": gettext_lazy(
        "le nombre d'enfants bénéficiaires de l'allocation d'éducation de l'enfant handicapé (AEEH)"
    ),
}
# Besides the figure, the allocataires and children listed are read for the cross-checks (never kept).
FRANCECONNECT_SCOPES = " ".join(["openid", *QUOTIENT_FAMILIAL_SCOPES])
MODES = {
    Consent.Mode.FRANCECONNECT: FamilyBenefitData.Mode.FRANCECONNECT,
    Consent.Mode.IDENTITE: FamilyBenefitData.Mode.IDENTITE,
}


def is_eaje(dossier: Dossier) -> bool:
    return dossier.service.kind == Service.Kind.CRECHE


def requested_fields(dossier: Dossier) -> list[str]:
    """Only what the grid needs: the QF for a canteen grid, the PSU resources, children and AEEH for a crèche."""
    return list(EAJE_FIELDS if is_eaje(dossier) else QF_FIELDS)


def _child_listed(dossier: Dossier, answer) -> bool:
    child = dossier.child
    key = identity_key(child.last_name, child.first_names, child.birth_date)
    return key is not None and key in people_identity_keys(answer.enfants)


@transaction.atomic
def _store(
    *, consent: Consent, answer: QuotientFamilial | EajeResources, mode: str = "", agent=None
) -> FamilyBenefitData:
    consent = (
        Consent.objects.select_for_update()
        .select_related("dossier__child", "dossier__service")
        .get(pk=consent.pk)
    )
    if consent.withdrawn_at is not None:  # withdrawn while the CAF was answering: keep nothing
        raise ValidationError(
            _("Votre accord a été retiré entre-temps : rien n'a été conservé."), code="withdrawn"
        )
    dossier = consent.dossier
    keys = people_identity_keys(answer.allocataires)
    figures = {}
    if isinstance(answer, QuotientFamilial):
        figures = {"year": answer.year, "month": answer.month, "qf": answer.value}
        route = FamilyBenefitData.Route.QUOTIENT_FAMILIAL
    else:
        figures = {
            "annual_resources": answer.annual_resources,
            "resources_year": answer.year,
            "children": answer.children,
            "aeeh_children": answer.aeeh_children,
        }
        route = FamilyBenefitData.Route.EAJE
    mode = mode or MODES[consent.mode]
    mismatch = mode == FamilyBenefitData.Mode.IDENTITE and not household_identity_keys(
        consent.household
    ) & set(keys)
    child_not_found = not _child_listed(dossier, answer)
    FamilyBenefitData.objects.filter(dossier=dossier).delete()
    # An agent's refresh that matches is that agent's check (audited by the caller).
    confirmed = agent if agent is not None and not (mismatch or child_not_found) else None
    return FamilyBenefitData.objects.create(
        dossier=dossier,
        household=consent.household,
        consent=consent,
        route=route,
        mode=mode,
        confirmed_by=confirmed,
        confirmed_at=timezone.now() if confirmed else None,
        provider=FamilyBenefitData.Provider.MSA
        if answer.provider == "MSA"
        else FamilyBenefitData.Provider.CAF,
        correlation_id=answer.correlation_id[:64],
        # FranceConnect certifies who asks: the allocataire is the account's holder. By identity, the adults the
        # family typed are compared with the allocataires returned (a hint, an agent decides).
        identity_mismatch=mismatch,
        child_not_found=child_not_found,
        allocataire_keys=keys,
        **figures,
    )


@transaction.atomic
def _mark_not_found(consent: Consent):
    Consent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(not_found_at=timezone.now())


def _lookup(consent: Consent, fetch, **store) -> FamilyBenefitData:
    try:
        answer = fetch()
    except NotFound:
        _mark_not_found(consent)  # the same question gets the same answer: the next source of the grid
        raise
    except ParticulierError as error:
        if error.alerts_agents:
            alert_agents(error, consent.mode)
        raise
    return _store(consent=consent, answer=answer, **store)


def benefit_data_fetch_with_franceconnect(*, consent: Consent, access_token: str) -> FamilyBenefitData:
    """Right after the FranceConnect callback with the cnaf_* scopes: the access token lives 60 seconds."""
    if is_eaje(consent.dossier):
        return _lookup(consent, lambda: client.eaje_resources_by_franceconnect(access_token))
    return _lookup(consent, lambda: client.quotient_familial_by_franceconnect(access_token))


def benefit_data_fetch_by_identity(*, consent: Consent, agent=None) -> FamilyBenefitData:
    """A local account (or an agent's refresh): the holder's identity pivot (household_pivot), with the commune's
    token."""
    pivot = household_pivot(consent.household)
    if pivot is None:
        raise InvalidIdentity("identity pivot incomplete")
    store = {"mode": FamilyBenefitData.Mode.IDENTITE, "agent": agent}
    if is_eaje(consent.dossier):
        return _lookup(consent, lambda: client.eaje_resources_by_identity(pivot), **store)
    return _lookup(consent, lambda: client.quotient_familial_by_identity(pivot), **store)


# A family may ask for a fresh QF once a day; agents and the commune's schedule at any time.
FAMILY_REFRESH_EVERY = timedelta(days=1)
TOO_SOON = gettext_lazy(
    "Vos informations ont déjà été actualisées auprès de la CAF ou de la MSA aujourd'hui : réessayez demain."
)


def benefit_refresh_consent(dossier: Dossier) -> Consent | None:
    """The live authorisation a refresh relies on: the family's consent covers the same purpose."""
    return Consent.objects.filter(
        dossier=dossier,
        source=Consent.Source.API_PARTICULIER,
        decision=Consent.Decision.GRANTED,
        withdrawn_at__isnull=True,
        not_found_at__isnull=True,
    ).first()


def benefit_data_refresh(
    *, dossier: Dossier, agent=None, user=None, ip: str | None = None
) -> FamilyBenefitData:
    """Ask again (the QF changes monthly), by the holder's identity, with the family's live consent: an agent (audited)
    or the commune's schedule (neither given) at any time, the family (`user`) at most once a day. A sent dossier is
    quoted again: the family is told when its tariff changes (dossier_quote_compute)."""
    consent = benefit_refresh_consent(dossier)
    if consent is None:
        raise ValidationError(
            _("La famille n'a pas autorisé la CAF ou la MSA pour cette demande."), code="no_consent"
        )
    if user is not None:
        cantine_services.dossier_check_owner(dossier=dossier, user=user)
        last = FamilyBenefitData.objects.filter(dossier=dossier).values_list("obtained_at", flat=True).first()
        if last is not None and timezone.now() - last < FAMILY_REFRESH_EVERY:
            raise ValidationError(TOO_SOON, code="too_soon")
    data = benefit_data_fetch_by_identity(consent=consent, agent=agent)
    if agent is not None:
        audit_record(actor=agent, action=AuditEntry.Action.REFRESHED_BENEFITS, dossier=dossier, ip=ip)
    dossier = Dossier.objects.get(pk=dossier.pk)
    if dossier.status not in workflow.NOT_BILLED:
        cantine_services.dossier_quote_compute(dossier=dossier)
    return data


@transaction.atomic
def benefit_data_confirm(
    *, agent, benefit_data: FamilyBenefitData, ip: str | None = None
) -> FamilyBenefitData:
    """An agent checked that the allocataires (and the child) are this household's: the figures now set the tariff
    and a sent dossier is quoted with them (the family is told if its amount changes). The flags stay on record."""
    benefit_data = (
        FamilyBenefitData.objects.select_for_update().select_related("dossier").get(pk=benefit_data.pk)
    )
    benefit_data.confirmed_by, benefit_data.confirmed_at = agent, timezone.now()
    benefit_data.save(update_fields=["confirmed_by", "confirmed_at"])
    audit_record(
        actor=agent,
        action=AuditEntry.Action.CONFIRMED_DECLARANTS,
        dossier=benefit_data.dossier,
        ip=ip,
        source="api_particulier",
    )
    if benefit_data.dossier.status not in workflow.NOT_BILLED:
        cantine_services.dossier_quote_compute(dossier=benefit_data.dossier, agent=agent, ip=ip)
    return benefit_data


def benefit_refresh_scheduled(*, today=None) -> list:
    """Carry out the commune's schedules due today: every dossier still billed with a live CAF/MSA authorisation is
    asked again. A failure for one dossier (the CAF down, a file closed) leaves the others and its figures as they
    were. Returns the schedules done."""
    today = today or timezone.localdate()
    done = []
    for schedule in BenefitRefreshSchedule.objects.filter(run_on__lte=today, done_at__isnull=True):
        refreshed = failed = 0
        dossiers = (
            Dossier.objects.filter(
                consents__source=Consent.Source.API_PARTICULIER,
                consents__decision=Consent.Decision.GRANTED,
                consents__withdrawn_at__isnull=True,
                consents__not_found_at__isnull=True,
            )
            .exclude(status__in=workflow.CLOSED)
            .distinct()
        )
        for dossier in dossiers:
            try:
                benefit_data_refresh(dossier=dossier)
            except (ParticulierError, ValidationError) as error:
                logger.warning(
                    "cantine.income: scheduled refresh failed (dossier=%s, %s)",
                    dossier.pk,
                    type(error).__name__,
                )
                failed += 1
            else:
                refreshed += 1
        schedule.done_at, schedule.refreshed, schedule.failed = timezone.now(), refreshed, failed
        schedule.save(update_fields=["done_at", "refreshed", "failed"])
        done.append(schedule)
    return done
