"""The resident's application from draft to sending: vehicle, consent, domicile and vehicle checks, documents."""

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api_particulier.vehicles import VehicleRecord
from impot_client.services import declarants_match
from impot_client.situation import TaxAddress
from portal.identity import household_identity_keys, identity_key
from portal.uploads import document_content_type
from stationnement.models import (
    Application,
    ApplicationDocument,
    Card,
    IncomeFigures,
)
from stationnement.plates import plate_normalise
from stationnement.selectors import domicile_locate, social_income_sources
from stationnement.services.cards import card_issue
from stationnement.services.drafts import application_check_owner, draft_locked
from stationnement.services.income import (
    ADDRESS_FIELDS,
    INCOME_FIELDS,
    consent_income_source,
    dgfip_income_store,
    income_waits_for_agent,
)
from stationnement.services.quotes import application_quote


@transaction.atomic
def application_start(*, user, household, replaces: Card | None = None) -> Application:
    """A draft; a renewal or a change of vehicle or address names the card it will end once the new one is issued."""
    if household.owner_id != user.pk or (replaces is not None and replaces.household_id != household.pk):
        raise PermissionDenied
    return Application.objects.create(
        household=household,
        applicant=user,
        replaces=replaces,
        plate=replaces.plates[0] if replaces is not None and replaces.plates else "",
        duration=replaces.application.duration if replaces is not None else Application.Duration.YEAR,
    )


@transaction.atomic
def application_vehicle_set(
    *, user, application: Application, plate: str, duration: str, company_vehicle: bool
) -> Application:
    """The plate (normalised), the duration, and whether the carte grise is someone else's (company, lease).
    A new plate drops what the ANTS said of the previous one."""
    application_check_owner(application=application, user=user)
    application = draft_locked(application)
    plate = plate_normalise(plate)
    if plate != application.plate or company_vehicle != application.company_vehicle:
        application.vehicle_source = application.vehicle_status = application.environmental_class = ""
        application.vehicle_problem = ""
    application.plate, application.duration, application.company_vehicle = plate, duration, company_vehicle
    application.save()
    return application


# What the consent names: the address always; the social tariff's income only when the resident chose a source.


@transaction.atomic
def application_consent_record(
    *, user, application: Application, mode: str, text_hash: str, income_source: str = ""
) -> Application:
    """The resident's « J'autorise » for the address (dgfip_aft), and for the income of one source the social tariff
    in force is deliberated on when the resident chose to share it, in the mode their account allows. A new
    authorisation replaces the figures of the previous one."""
    application_check_owner(application=application, user=user)
    application = draft_locked(application)
    if income_source and income_source not in social_income_sources():
        raise ValidationError(
            _("Le tarif social en vigueur ne se fonde pas sur ces revenus : relisez la page."),
            code="bad_source",
        )
    application.consent_mode, application.consent_text_hash = mode, text_hash
    application.consent_fields = ADDRESS_FIELDS + INCOME_FIELDS.get(income_source, [])
    application.consent_at = timezone.now()
    application.income_problem = ""
    IncomeFigures.objects.filter(application=application).delete()
    application.save(
        update_fields=[
            "consent_mode",
            "consent_text_hash",
            "consent_fields",
            "consent_at",
            "income_problem",
            "updated_at",
        ]
    )
    return application


@transaction.atomic
def domicile_store(*, application: Application, found: TaxAddress, mode: str) -> Application:
    """DGFiP's address, matched to the zones. By numéro fiscal the applicant must be one of the declarants (the
    number could be anyone's); through FranceConnect DGFiP found the foyer by the person signed in."""
    application = draft_locked(application)
    if application.consent_at is None:
        raise ValidationError(
            _("Votre accord est nécessaire avant de demander l'adresse."), code="no_consent"
        )
    domicile = domicile_locate(aft=found.address.text, detail=_detail(found))
    application.address = found.address.text or " ".join(
        part for part in (found.address.street, found.address.postcode, found.address.city) if part
    )
    application.domicile_source = (
        Application.DomicileSource.DGFIP_NUMERO_FISCAL
        if mode == "numero_fiscal"
        else Application.DomicileSource.DGFIP_FRANCECONNECT
    )
    application.zone = domicile.zone
    application.domicile_problem = domicile.reason
    if mode == "numero_fiscal" and not declarants_match(application.household, found):
        application.domicile_problem = "not_declarant"
    if consent_income_source(application) == "dgfip":
        dgfip_income_store(application, found, mode)
    application.save()
    return application


def _detail(found: TaxAddress) -> dict | None:
    address = found.address
    if not address.street:
        return None
    return {"voie": address.street, "getcodePostal": address.postcode, "getcommune": address.city}


def _holder_is_household(application: Application, record: VehicleRecord) -> bool:
    holder = identity_key(record.holder.nom, record.holder.prenom, record.holder.date_naissance)
    return holder is not None and holder in household_identity_keys(application.household)


@transaction.atomic
def vehicle_store(*, application: Application, record: VehicleRecord) -> Application:
    """What the ANTS says of the plate: the holder must be the person signed in (FranceConnect's matching) or an
    adult of the household; else, like a company car, an agent checks a carte grise."""
    application = draft_locked(application)
    application.vehicle_source = Application.VehicleSource.ANTS
    application.vehicle_status = record.status
    application.environmental_class = record.environmental_class
    holder_ok = record.identity_matches is True or _holder_is_household(application, record)
    application.vehicle_problem = "" if holder_ok else "not_holder"
    application.save()
    return application


@transaction.atomic
def document_upload(*, user, application: Application, kind: str, uploaded) -> ApplicationDocument:
    """A proof for an agent: of address (when DGFiP could not tell), a carte grise, an employer's attestation."""
    application_check_owner(application=application, user=user)
    application = draft_locked(application)
    if application.documents.count() >= settings.PARKING_DOCUMENTS_MAX:
        raise ValidationError(
            {
                "file": _("Vous avez déjà envoyé %(max)d pièces pour cette demande.")
                % {"max": settings.PARKING_DOCUMENTS_MAX}
            }
        )
    content_type = document_content_type(uploaded, max_bytes=settings.TAX_NOTICE_MAX_BYTES)
    document = ApplicationDocument(
        application=application, kind=kind, content_type=content_type, size=uploaded.size
    )
    document.file.save("piece", uploaded, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    if kind == ApplicationDocument.Kind.PROOF_OF_ADDRESS and not application.domicile_source:
        application.domicile_source = Application.DomicileSource.PROOF
    if (
        kind == ApplicationDocument.Kind.REGISTRATION
        and application.vehicle_source != Application.VehicleSource.ANTS
    ):
        application.vehicle_source = Application.VehicleSource.DOCUMENT
    application.save()
    return document


@transaction.atomic
def application_submit(*, user, application: Application, today: date | None = None) -> Application:
    """Sent: priced, then the card is issued at once when the State's data checked everything and the commune
    allows it (PARKING_AUTO_ISSUE); otherwise an agent decides."""
    today = today or timezone.localdate()
    application_check_owner(application=application, user=user)
    application = draft_locked(application)
    problems = application_problems(application)
    if problems:
        raise ValidationError(problems, code="incomplete")
    application_quote(application, today)
    application.status = Application.Status.SUBMITTED
    application.submitted_at = timezone.now()
    application.save()
    if settings.PARKING_AUTO_ISSUE and application.fully_matched and not income_waits_for_agent(application):
        card_issue(application=application, today=today)
        application.refresh_from_db()
    return application


def application_problems(application: Application) -> list[str]:
    """What keeps the application from being sent, in French: each can be solved by the resident."""
    problems = []
    if not application.plate:
        problems.append(_("Indiquez l'immatriculation du véhicule."))
    has = {document.kind for document in application.documents.all()}
    if not application.domicile_source:
        problems.append(
            _(
                "Votre domicile n'est pas encore vérifié : autorisez la demande d'adresse ou envoyez un justificatif."
            )
        )
    elif application.domicile_problem and ApplicationDocument.Kind.PROOF_OF_ADDRESS not in has:
        problems.append(
            _(
                "Votre adresse n'a pas pu être vérifiée : envoyez un justificatif de domicile de moins de trois mois."
            )
        )
    if (
        application.vehicle_source != Application.VehicleSource.ANTS
        and ApplicationDocument.Kind.REGISTRATION not in has
    ):
        problems.append(_("Envoyez la carte grise du véhicule."))
    elif application.vehicle_problem and ApplicationDocument.Kind.REGISTRATION not in has:
        problems.append(_("Le véhicule n'est pas à votre nom selon l'ANTS : envoyez la carte grise."))
    if application.company_vehicle and ApplicationDocument.Kind.ATTESTATION not in has:
        problems.append(
            _(
                "Pour un véhicule de société ou en location, envoyez l'attestation de l'employeur ou du loueur."
            )
        )
    return problems
