"""The enrolment démarche's part of the families' rights and of the retention rules (portal.demarches hooks): what
stops an account's erasure, what the erasure removes and keeps, and the purges `manage.py purge_expired` runs."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from cantine import selectors
from cantine.income import services as income_services
from cantine.models import CrecheContract, Dossier, DossierMessage
from portal.models import AuditEntry

Status = Dossier.Status
UNDER_REVIEW = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.AWAITING_DOCUMENTS)


def _with_audit():
    return Exists(AuditEntry.objects.filter(dossier=OuterRef("pk")))


def erasure_refusals(household, today: date | None = None) -> list[str]:
    """Why the household's account cannot be erased now: a dossier being examined, a crèche place held."""
    reasons = []
    for dossier in Dossier.objects.filter(child__household=household, status__in=UNDER_REVIEW).select_related(
        "child", "service"
    ):
        reasons.append(
            _(
                "La demande %(reference)s (%(service)s, %(child)s) est en cours d'instruction : attendez la "
                "décision, ou annulez-la si elle est encore « envoyée »."
            )
            % {"reference": dossier.reference, "service": dossier.service.name, "child": dossier.child.first_names}
        )
    held = selectors.offers_holding_places(today=today).filter(dossier__child__household=household)
    for offer in held.select_related("dossier__child", "dossier__period", "establishment"):
        reasons.append(
            _(
                "Une place en crèche (%(creche)s) est réservée pour %(child)s jusqu'à la fin de la période "
                "« %(period)s » : le contrat d'accueil doit être terminé avant l'effacement du compte."
            )
            % {
                "creche": offer.establishment.name,
                "child": offer.dossier.child.first_names,
                "period": offer.dossier.period.label,
            }
        )
    return reasons


def child_in_use(child) -> bool:
    return Dossier.objects.filter(child=child).exists()


def kept_after_erasure() -> list[str]:
    return [
        _(
            "Les demandes acceptées, ou sur lesquelles un agent a décidé, restent pour la facturation et le contrôle "
            "des comptes de la commune : référence, service, période, établissement, tarif facturé, les nom, prénoms "
            "et date de naissance de l'enfant, les nom et prénoms du titulaire et l'adresse du foyer, pendant "
            "%(years)s ans après la fin de la période facturée. Le journal des actions des agents garde la "
            "référence de la demande, jamais un nom ni un montant."
        )
        % {"years": settings.RETENTION_BILLING_YEARS}
    ]


@transaction.atomic
def household_erase(household) -> dict[str, int]:
    """The account is being erased (portal.services.account_erase, which checked erasure_refusals): consents,
    figures, notices, messages and the contracts' frozen PDFs go; the dossiers no agent acted on go (drafts,
    cancelled ones); the others stay, without income figures, for billing (kept_after_erasure)."""
    counts = income_services.household_income_erase(household=household)
    dossiers = Dossier.objects.filter(child__household=household)
    counts["messages"] = (
        DossierMessage.objects.filter(dossier__in=dossiers).delete()[1].get("cantine.DossierMessage", 0)
    )
    removable = dossiers.annotate(audited=_with_audit()).filter(
        audited=False, place_offers__isnull=True, creche_contract__isnull=True
    )
    counts["dossiers"] = Dossier.objects.filter(pk__in=list(removable.values_list("pk", flat=True))).delete()[
        1
    ].get("cantine.Dossier", 0)
    # A contract kept for billing keeps its dates, rate and fee; the PDF frozen for the family, which names the
    # second parent and the account, goes with the account.
    counts["contract_documents"] = CrecheContract.objects.filter(
        dossier__child__household=household, document__isnull=False
    ).update(document=None)
    counts["dossiers_kept_for_billing"] = dossiers.count()
    return counts


@transaction.atomic
def drafts_purge(*, today: date | None = None) -> int:
    """Drafts untouched for RETENTION_DRAFT_DAYS go, with their consent, figures and notices (a draft an agent
    left a trace on stays: the audit log keeps its reference)."""
    today = today or timezone.localdate()
    cutoff = timezone.make_aware(datetime.combine(today - timedelta(days=settings.RETENTION_DRAFT_DAYS), time.min))
    stale = (
        Dossier.objects.filter(status=Status.DRAFT, updated_at__lt=cutoff)
        .annotate(audited=_with_audit())
        .filter(audited=False, place_offers__isnull=True)
    )
    pks = list(stale.values_list("pk", flat=True))
    income_services.dossiers_notices_files_delete(dossier_pks=pks)
    return Dossier.objects.filter(pk__in=pks).delete()[1].get("cantine.Dossier", 0)


def purges(today: date | None = None) -> dict[str, int]:
    """Every retention purge of the démarche, counts by kind (the keys `purge_expired` prints)."""
    figures, notices, derived = income_services.tax_data_purge(today=today)
    return {
        "income_figures": figures,
        "tax_notices": notices,
        "dossiers_derived_figures": derived,
        "tax_notice_files_settled": income_services.tax_notices_settled_erase(today=today),
        "drafts": drafts_purge(today=today),
    }
