"""Writes of the resident parking démarche: the zone maps imported from the commune's street list, the resident's
application (vehicle, consent, domicile and vehicle checks, documents, sending), and the card an agent or the
commune's rule issues."""

import calendar
import csv
import io
import logging
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api_particulier import client as particulier
from api_particulier.alerts import alert_agents
from api_particulier.identity import household_pivot
from api_particulier.situation import InvalidIdentity, ParticulierError, QuotientFamilial
from api_particulier.vehicles import VehicleRecord
from impot_client.services import declarants_match
from impot_client.situation import TaxAddress
from portal.audit import audit_record
from portal.identity import household_identity_keys, identity_key, people_identity_keys
from portal.models import AuditEntry
from portal.resilience import enqueue_on_commit
from portal.uploads import document_content_type
from portal.versions import next_version, version_activate, version_save
from pricing.errors import PricingError
from pricing.facts import SOURCE_KEYS
from pricing.parking import ParkingFacts, parking_quote, parse_parking_grid
from stationnement.models import (
    Application,
    ApplicationDocument,
    Card,
    IncomeFigures,
    ParkingGrid,
    StreetSegment,
    Zone,
    ZoneMap,
)
from stationnement.plates import plate_normalise
from stationnement.selectors import cards_to_remind, domicile_locate, grid_in_force, social_income_sources
from stationnement.tasks import CARD_ISSUED, REFUSED, REMINDER, parking_mail_send

logger = logging.getLogger(__name__)

COLUMNS = ("zone", "nom_voie", "code_postal", "commune", "numero_min", "numero_max", "parite")


def _number(value: str, *, line: int, column: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(
            _("Ligne %(line)d : « %(value)s » n'est pas un numéro (colonne %(column)s).")
            % {"line": line, "value": value, "column": column},
            code="bad_number",
        )
    return int(value)


def _rows(text: str):
    """The file's rows as segments' fields, every error named by its line (the import writes nothing then)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise ValidationError(
            _("Colonnes manquantes : %(columns)s. Attendu : %(expected)s.")
            % {"columns": ", ".join(missing), "expected": ";".join(COLUMNS)},
            code="bad_header",
        )
    parities = {choice.value for choice in StreetSegment.Parity}
    errors, rows = [], []
    for line, row in enumerate(reader, start=2):
        try:
            values = {column: (row.get(column) or "").strip() for column in COLUMNS}
            if not values["zone"] or not values["nom_voie"] or not values["code_postal"]:
                raise ValidationError(
                    _("Ligne %(line)d : la zone, la voie et le code postal sont obligatoires.")
                    % {"line": line},
                    code="incomplete",
                )
            parity = values["parite"].lower() or StreetSegment.Parity.ALL
            if parity not in parities:
                raise ValidationError(
                    _("Ligne %(line)d : parité « %(value)s » inconnue (tous, pair ou impair).")
                    % {"line": line, "value": values["parite"]},
                    code="bad_parity",
                )
            low = _number(values["numero_min"], line=line, column="numero_min")
            high = _number(values["numero_max"], line=line, column="numero_max")
            if low is not None and high is not None and low > high:
                raise ValidationError(
                    _("Ligne %(line)d : le numéro minimum dépasse le maximum.") % {"line": line},
                    code="bounds",
                )
            rows.append((values, low, high, parity))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("Le fichier ne contient aucun tronçon."), code="empty")
    return rows


@transaction.atomic
def zone_map_import(*, text: str, label: str, agent=None, activate: bool = False) -> ZoneMap:
    """A new version of the zones from the file `zone;nom_voie;code_postal;commune;numero_min;numero_max;parite`
    (empty numbers: the whole street). The versions before it stay for the cards issued on them."""
    rows = _rows(text)
    zone_map = ZoneMap.objects.create(version=next_version(ZoneMap.objects), label=label, created_by=agent)
    zones = {}
    for values, low, high, parity in rows:
        code = values["zone"]
        if code not in zones:
            zones[code] = Zone.objects.create(zone_map=zone_map, code=code, name=code)
        StreetSegment(
            zone=zones[code],
            street=values["nom_voie"],
            postcode=values["code_postal"],
            commune=values["commune"],
            number_min=low,
            number_max=high,
            parity=parity,
        ).save()
    if agent is not None:
        audit_record(
            actor=agent, action=AuditEntry.Action.CHANGED_ZONES, zone_map=zone_map.pk, change="imported"
        )
    if activate:
        zone_map_activate(zone_map=zone_map, agent=agent)
    return zone_map


@transaction.atomic
def zone_map_activate(*, zone_map: ZoneMap, agent=None) -> ZoneMap:
    version_activate(versions=ZoneMap.objects, version=zone_map)
    if agent is not None:
        audit_record(
            actor=agent, action=AuditEntry.Action.CHANGED_ZONES, zone_map=zone_map.pk, change="activated"
        )
    return zone_map


@transaction.atomic
def zone_map_edit(*, zone_map: ZoneMap, agent) -> tuple[ZoneMap, dict]:
    """The map an agent's change (its label, zones, segments) is to be made on: the map itself when no card nor
    application uses it; otherwise a new version copied from it, zones and segments, in force if it was, so the
    cards keep the zones they were issued in. Returns that map and the copies made, {Zone: {pk: copy's pk},
    StreetSegment: {…}} ({} when the map is changed in place)."""
    locked = ZoneMap.objects.select_for_update().get(pk=zone_map.pk)
    if not locked.in_use:
        audit_record(actor=agent, action=AuditEntry.Action.CHANGED_ZONES, zone_map=locked.pk, change="edited")
        return locked, {}
    copy = ZoneMap.objects.create(version=next_version(ZoneMap.objects), label=locked.label, created_by=agent)
    zones, segments = {}, {}
    for zone in locked.zones.prefetch_related("segments"):
        zones[zone.pk] = Zone.objects.create(zone_map=copy, code=zone.code, name=zone.name)
        for segment in zone.segments.all():
            original = segment.pk
            segment.pk, segment.zone, segment._state.adding = None, zones[zone.pk], True
            segment.save()
            segments[original] = segment.pk
    if locked.is_active:
        version_activate(versions=ZoneMap.objects, version=copy)
    audit_record(
        actor=agent,
        action=AuditEntry.Action.CHANGED_ZONES,
        zone_map=copy.pk,
        change="new_version",
        copied_from=locked.version,
    )
    return copy, {Zone: {pk: zone.pk for pk, zone in zones.items()}, StreetSegment: segments}


def parking_grid_check(data) -> None:
    """The grid's JSON as the tariff engine reads it, or its French messages."""
    try:
        parse_parking_grid(data)
    except PricingError as error:
        raise ValidationError(error.messages, code="bad_grid") from error


@transaction.atomic
def parking_grid_save(*, data: dict, label: str, agent, grid: ParkingGrid | None = None) -> ParkingGrid:
    """Save a parking grid. A version no application was priced on is changed in place; one in use stays as it is
    and the change becomes the next version (in force if the old one was), like cantine's tariff grids."""
    parking_grid_check(data)
    saved = version_save(
        versions=ParkingGrid.objects, edited=grid, changes={"data": data, "label": label}, agent=agent
    )
    _audit_parking_grid(saved, agent=agent, change="saved")
    return saved


@transaction.atomic
def parking_grid_activate(*, grid: ParkingGrid, agent=None) -> ParkingGrid:
    """Put a version in force for the applications priced from now on; those already priced keep theirs."""
    version_activate(versions=ParkingGrid.objects, version=grid)
    _audit_parking_grid(grid, agent=agent, change="activated")
    return grid


def _audit_parking_grid(grid: ParkingGrid, *, agent, change: str) -> None:
    if agent is not None:  # None: seed_parking_demo and tests, not an agent's act
        audit_record(
            actor=agent,
            action=AuditEntry.Action.CHANGED_GRID,
            parking_grid=grid.pk,
            version=grid.version,
            change=change,
        )


# -- Applications --------------------------------------------------------------------------------------------


def application_check_owner(*, application: Application, user) -> None:
    if application.household.owner_id != user.pk:
        raise PermissionDenied


def _editable(application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.DRAFT:
        raise ValidationError(_("Cette demande est envoyée : elle ne se modifie plus."), code="not_draft")
    return application


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
    application = _editable(application)
    plate = plate_normalise(plate)
    if plate != application.plate or company_vehicle != application.company_vehicle:
        application.vehicle_source = application.vehicle_status = application.environmental_class = ""
        application.vehicle_problem = ""
    application.plate, application.duration, application.company_vehicle = plate, duration, company_vehicle
    application.save()
    return application


# What the consent names: the address always; the social tariff's income only when the resident chose a source.
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


@transaction.atomic
def application_consent_record(
    *, user, application: Application, mode: str, text_hash: str, income_source: str = ""
) -> Application:
    """The resident's « J'autorise » for the address (dgfip_aft), and for the income of one source the social tariff
    in force is deliberated on when the resident chose to share it, in the mode their account allows. A new
    authorisation replaces the figures of the previous one."""
    application_check_owner(application=application, user=user)
    application = _editable(application)
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
    application = _editable(application)
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
        _dgfip_income_store(application, found, mode)
    application.save()
    return application


def _dgfip_income_store(application: Application, found: TaxAddress, mode: str) -> None:
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
    application = _editable(application)
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
    application = _editable(application)
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
    application = _editable(application)
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


def vehicle_rank(application: Application, today: date) -> int:
    """The rank of this vehicle among the household's cards valid today (a household holds a few): the card it
    replaces, and another card of the same plate, do not count."""
    valid = Card.objects.filter(
        household=application.household, starts_on__lte=today, ends_on__gte=today, ended_on__isnull=True
    ).exclude(pk=application.replaces_id)
    return sum(1 for plates in valid.values_list("plates", flat=True) if application.plate not in plates) + 1


def income_facts(application: Application, tariff) -> dict:
    """The social tariff's facts from the figures the resident shared, when the grid is deliberated on their source
    and the people matched; nothing otherwise (the full price, said by the engine)."""
    income = IncomeFigures.objects.filter(application=application).first()
    if income is None or income.identity_mismatch or SOURCE_KEYS[income.source] not in tariff.income:
        return {}
    if income.source == IncomeFigures.Source.DGFIP:
        figures = {"rfr": Decimal(income.rfr), "parts": income.nb_parts}
    else:
        figures = {"qf": Decimal(income.qf), "qf_year": income.year, "qf_month": income.month}
    return {"income_source": income.source, "show_figures": income.certified, **figures}


def application_quote(application: Application, today: date) -> None:
    """The amount and why, with the grid in force; a refusal the deliberation makes is said, not priced."""
    grid = grid_in_force()
    if grid is None:
        raise ValidationError(
            _("La commune n'a pas encore publié le tarif des cartes résident."), code="no_grid"
        )
    try:
        tariff = parse_parking_grid(grid.data)
        facts = ParkingFacts(
            duration=application.duration,
            rank=vehicle_rank(application, today),
            environmental_class=application.environmental_class,
            **income_facts(application, tariff),
        )
        result = parking_quote(tariff, facts)
    except PricingError as error:
        raise ValidationError(error.messages, code="refused") from error
    application.grid, application.amount, application.explanation = (
        grid,
        result.amount,
        list(result.explanation),
    )


@transaction.atomic
def application_submit(*, user, application: Application, today: date | None = None) -> Application:
    """Sent: priced, then the card is issued at once when the State's data checked everything and the commune
    allows it (PARKING_AUTO_ISSUE); otherwise an agent decides."""
    today = today or timezone.localdate()
    application_check_owner(application=application, user=user)
    application = _editable(application)
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


DURATION_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def card_end(starts_on: date, duration: str) -> date:
    """The last day of a card starting `starts_on` (at most three years, CGCT L2333-87)."""
    months = DURATION_MONTHS[duration]
    year, month = divmod(starts_on.month - 1 + months, 12)
    following = starts_on.replace(year=starts_on.year + year, month=month + 1, day=1)
    day = min(starts_on.day, calendar.monthrange(following.year, following.month)[1])
    return following.replace(day=day) - timedelta(days=1)


@transaction.atomic
def card_issue(
    *, application: Application, agent=None, zone: Zone | None = None, today: date | None = None
) -> Card:
    """The card: a number, a verification code for its QR code, the zone (the agent's, when the address did not
    settle it), the dates, the amount. The card it replaces ends the day before."""
    today = today or timezone.localdate()
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(_("Seule une demande envoyée peut donner une carte."), code="not_submitted")
    if zone is not None:
        application.zone = zone
    if application.zone_id is None:
        raise ValidationError(_("Indiquez la zone de la carte avant de la délivrer."), code="no_zone")
    if application.amount is None:
        application_quote(application, today)
    sequence = Card.objects.select_for_update().filter(issued_at__year=today.year).count() + 1
    card = Card.objects.create(
        number=f"SR-{today.year}-{sequence:05d}",
        token=secrets.token_urlsafe(18),
        application=application,
        household=application.household,
        plates=[application.plate],
        zone=application.zone,
        starts_on=today,
        ends_on=card_end(today, application.duration),
        amount=application.amount,
    )
    if application.replaces_id:
        Card.objects.filter(pk=application.replaces_id, ended_on__isnull=True).update(
            ended_on=today - timedelta(days=1)
        )
    application.status, application.decided_at, application.decided_by = (
        Application.Status.ACCEPTED,
        timezone.now(),
        agent,
    )
    application.save()
    if agent is not None:
        audit_record(
            actor=agent, action=AuditEntry.Action.DECIDED, application=application.pk, status="accepted"
        )
    enqueue_on_commit(parking_mail_send, CARD_ISSUED, application.pk)
    return card


@transaction.atomic
def application_refuse(*, agent, application: Application, reason: str) -> Application:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Le motif est obligatoire : le demandeur le lira.")})
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(_("Seule une demande envoyée peut être refusée."), code="not_submitted")
    application.status, application.refusal_reason = Application.Status.REFUSED, reason
    application.decided_at, application.decided_by = timezone.now(), agent
    application.save()
    audit_record(actor=agent, action=AuditEntry.Action.DECIDED, application=application.pk, status="refused")
    enqueue_on_commit(parking_mail_send, REFUSED, application.pk)
    return application


@transaction.atomic
def card_reminders_send(*, today: date | None = None) -> int:
    """Queue the « Renouveler » mail of every card that ends within PARKING_REMINDER_DAYS, once per card: the card
    is marked reminded in the same statement that claims it, so a second run, or two at once, remind nobody twice.
    A card already renewed (a newer application sent or issued) is not reminded. Returns how many were queued."""
    today = today or timezone.localdate()
    reminded = 0
    for card in cards_to_remind(today=today, days=settings.PARKING_REMINDER_DAYS).iterator():
        if Card.objects.filter(pk=card.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
            enqueue_on_commit(parking_mail_send, REMINDER, card.application_id)
            reminded += 1
    return reminded


RETENTION_AFTER_END = timedelta(days=92)
DRAFTS_KEPT = timedelta(days=90)


@transaction.atomic
def parking_data_purge(*, today: date | None = None) -> dict[str, int]:
    """What the démarche no longer needs: the proofs once the application is decided, the DGFiP address and the
    social tariff's figures three months after the card ended (or after a refusal), drafts untouched for 90 days.
    A second run erases nothing."""
    today = today or timezone.localdate()
    decided = Application.objects.exclude(status__in=(Application.Status.DRAFT, Application.Status.SUBMITTED))
    documents = ApplicationDocument.objects.filter(application__in=decided)
    files = [document.file.name for document in documents]
    documents_count, _details = documents.delete()
    cutoff = today - RETENTION_AFTER_END
    ended = Q(card__ends_on__lt=cutoff) | Q(card__ended_on__lt=cutoff)
    closed = Q(
        status__in=(Application.Status.REFUSED, Application.Status.CANCELLED), decided_at__date__lt=cutoff
    )
    over = decided.filter(ended | closed)
    addresses = over.exclude(address="").update(address="")  # "" is stored in clear
    # The social tariff's figures go with the address, and the explanation that quoted them (the card keeps its
    # amount, the enforcement its dates).
    figures = IncomeFigures.objects.filter(application__in=over)
    quoted = list(figures.values_list("application_id", flat=True))
    income, _details = figures.delete()
    Application.objects.filter(pk__in=quoted).update(explanation=[], consent_fields=list(ADDRESS_FIELDS))
    stale = Application.objects.filter(
        status=Application.Status.DRAFT, updated_at__date__lt=today - DRAFTS_KEPT
    )
    stale_files = [
        document.file.name for document in ApplicationDocument.objects.filter(application__in=stale)
    ]
    drafts, _details = stale.delete()
    storage = ApplicationDocument._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files + stale_files])
    return {
        "parking_documents": documents_count,
        "parking_addresses": addresses,
        "parking_income": income,
        "parking_drafts": drafts,
    }
