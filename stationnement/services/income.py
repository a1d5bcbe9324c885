"""The social tariff's income: the source the resident authorised, DGFiP's or the CAF's figures stored encrypted, and
their withdrawal."""

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api_particulier import client as particulier
from api_particulier.alerts import alert_agents
from api_particulier.identity import household_pivot
from api_particulier.situation import InvalidIdentity, ParticulierError, QuotientFamilial
from impot_client.services import declarants_match
from impot_client.situation import TaxAddress
from portal.identity import household_identity_keys, people_identity_keys
from stationnement.models import (
    Application,
    IncomeFigures,
)
from stationnement.services.drafts import application_check_owner, draft_locked
from stationnement.services.quotes import application_quote

logger = logging.getLogger(__name__)


ADDRESS_FIELDS = ["aft"]
INCOME_FIELDS = {"caf": ["quotient_familial"], "dgfip": ["rfr", "nb_parts"]}


def consent_income_source(application: Application) -> str:
    """The income source the resident authorised for the social tariff, or "" (the address only)."""
    return next(
        (
            source
            for source, fields in INCOME_FIELDS.items()
            if set(fields) <= set(application.consent_fields)
        ),
        "",
    )


def dgfip_income_store(application: Application, found: TaxAddress, mode: str) -> None:
    """The RFR and parts of the address's own answer; by numéro fiscal they count only for a declarant."""
    IncomeFigures.objects.filter(application=application).delete()
    if found.income is None:
        application.income_problem = "incomplete"
        return
    mismatch = mode == "numero_fiscal" and not declarants_match(application.household, found)
    application.income_problem = "mismatch" if mismatch else ""
    IncomeFigures.objects.create(
        application=application,
        source=IncomeFigures.Source.DGFIP,
        certified=mode == "franceconnect",
        year=found.income.year,
        rfr=found.income.rfr,
        nb_parts=found.income.nb_parts,
        identity_mismatch=mismatch,
        correlation_id=found.correlation_id[:64],
    )


def caf_income_fetch(*, application: Application, access_token: str = "") -> ParticulierError | None:
    """The CAF or MSA quotient familial the resident authorised: with the FranceConnect token (the allocataire is the
    person signed in), else by the holder's identity pivot (the allocataires must be the household's adults). Outside
    any transaction (the network); a failure is recorded, never raised: the social tariff then does not apply."""
    try:
        if access_token:
            answer = particulier.quotient_familial_by_franceconnect(access_token)
        else:
            pivot = household_pivot(application.household)
            if pivot is None:
                raise InvalidIdentity("identity pivot incomplete")
            answer = particulier.quotient_familial_by_identity(pivot)
    except ParticulierError as error:
        if error.alerts_agents:  # the commune's token, scope or settings: not the resident's doing
            alert_agents(error, "france_connect" if access_token else "identite")
        reason = {"not_found": "not_found", "invalid_identity": "invalid_identity"}.get(
            error.reason, "unavailable"
        )
        _income_problem_record(application, reason)
        return error
    try:
        caf_income_store(application=application, answer=answer, certified=bool(access_token))
    except ValidationError:  # the authorisation changed while the CAF answered: nothing kept, nothing to say
        logger.info("stationnement: CAF answer dropped, the consent changed (application=%s)", application.pk)
    return None


@transaction.atomic
def _income_problem_record(application: Application, reason: str) -> None:
    IncomeFigures.objects.filter(application=application).delete()
    Application.objects.filter(pk=application.pk).update(income_problem=reason, updated_at=timezone.now())


@transaction.atomic
def caf_income_store(*, application: Application, answer: QuotientFamilial, certified: bool) -> IncomeFigures:
    application = draft_locked(application)
    if consent_income_source(application) != "caf":  # withdrawn, or another consent, while the CAF answered
        raise ValidationError(
            _("Votre accord a changé entre-temps : rien n'a été conservé."), code="withdrawn"
        )
    mismatch = not certified and not household_identity_keys(application.household) & set(
        people_identity_keys(answer.allocataires)
    )
    IncomeFigures.objects.filter(application=application).delete()
    application.income_problem = "mismatch" if mismatch else ""
    application.save(update_fields=["income_problem", "updated_at"])
    return IncomeFigures.objects.create(
        application=application,
        source=IncomeFigures.Source.MSA if answer.provider == "MSA" else IncomeFigures.Source.CAF,
        certified=certified,
        year=answer.year,
        month=answer.month,
        qf=answer.value,
        identity_mismatch=mismatch,
        correlation_id=answer.correlation_id[:64],
    )


def income_waits_for_agent(application: Application) -> bool:
    """Figures obtained by numéro fiscal or by identity prove no identity: with the commune's settings (as for the
    canteen), the card they reduce is issued by an agent, never at once."""
    income = IncomeFigures.objects.filter(application=application, certified=False).first()
    if income is None:
        return False
    if income.source == IncomeFigures.Source.DGFIP:
        return settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT
    return settings.API_PARTICULIER_IDENTITY_NEEDS_AGENT


@transaction.atomic
def application_income_withdraw(*, user, application: Application, today: date | None = None) -> Application:
    """The resident withdraws the social tariff's authorisation: the figures and what quotes them are erased. A
    draft or an application under review is priced again at the full price; an issued card keeps its amount (it is
    paid), its explanation loses the lines that quoted the income."""
    application_check_owner(application=application, user=user)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not consent_income_source(application):
        raise ValidationError(_("Aucun revenu n'est autorisé pour cette demande."), code="no_income")
    IncomeFigures.objects.filter(application=application).delete()
    application.consent_fields = list(ADDRESS_FIELDS)
    application.income_problem = "withdrawn"
    if application.status in (Application.Status.DRAFT, Application.Status.SUBMITTED):
        application.amount, application.explanation = None, []  # a draft is priced on its review page
    else:
        application.explanation = [
            _(
                "Vous avez retiré votre accord pour le tarif social : vos revenus et le détail du tarif qui les citait sont effacés ; le montant de la carte délivrée ne change pas."
            )
        ]
    if application.status == Application.Status.SUBMITTED:
        try:
            application_quote(application, today or timezone.localdate())
        except ValidationError:  # the grid changed since: the agent's issuance prices it (card_issue)
            logger.info("stationnement: no price after withdrawal (application=%s)", application.pk)
    application.save()
    return application
