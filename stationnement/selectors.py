"""Reads on zones: which zone an address lies in, or why none can be said without an agent; the public check of a
card, the cards to export and the cards to remind."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.demarches import PendingAction
from pricing.errors import GridError
from pricing.parking import ParkingGrid as Tariff
from pricing.parking import parse_parking_grid
from stationnement.addresses import Address, AddressUnreadable, read
from stationnement.models import Application, Card, ParkingGrid, StreetSegment, Zone, ZoneMap


@dataclass(frozen=True)
class Domicile:
    """Where an address lies. `zone` is None with a `reason`: unreadable, a street the commune's zones do not
    name, a number outside them, or several zones (never a guess: an agent decides)."""

    address: Address | None
    zone: Zone | None
    reason: str = ""

    @property
    def reason_label(self) -> str:
        return str(self.REASONS.get(self.reason, self.reason))

    REASONS = {
        "no_postcode": _("aucun code postal dans l'adresse"),
        "no_street": _("aucune voie dans l'adresse"),
        "no_zone_map": _("aucun plan des zones en vigueur"),
        "street_not_in_zones": _("voie hors des zones résidentielles"),
        "number_not_in_zones": _("numéro hors des tronçons de la voie en zone résidentielle"),
        "ambiguous": _("adresse dans plusieurs zones : un agent doit trancher"),
        "not_declarant": _("le demandeur n'est pas l'un des déclarants de ce numéro fiscal"),
    }


def domicile_problem_label(reason: str) -> str:
    """What the resident reads when the address did not settle the zone, with what to do."""
    return _(
        "Votre adresse n'a pas permis de vérifier votre domicile (%(why)s) : envoyez un justificatif de domicile de moins de trois mois, un agent le vérifiera."
    ) % {"why": Domicile.REASONS.get(reason, reason)}


def grid_in_force() -> ParkingGrid | None:
    return ParkingGrid.objects.filter(is_active=True).first()


def social_tariff_in_force() -> Tariff | None:
    """The deliberation in force when it has a social tariff (an unreadable grid has none: pricing says why)."""
    grid = grid_in_force()
    try:
        tariff = parse_parking_grid(grid.data) if grid is not None else None
    except GridError:
        return None
    return tariff if tariff is not None and tariff.has_social_tariff else None


def social_income_sources() -> tuple[str, ...]:
    """The income sources the social tariff in force is deliberated on, in the commune's order (caf, dgfip); none
    without a social tariff: the consent page then names the address only."""
    tariff = social_tariff_in_force()
    return tariff.income if tariff is not None else ()


def zone_map_in_force() -> ZoneMap | None:
    return ZoneMap.objects.filter(is_active=True).first()


def domicile_locate(
    *, aft: str = "", detail: dict | None = None, zone_map: ZoneMap | None = None
) -> Domicile:
    try:
        address = read(aft, detail)
    except AddressUnreadable as error:
        return Domicile(address=None, zone=None, reason=error.reason)
    zone_map = zone_map or zone_map_in_force()
    if zone_map is None:
        return Domicile(address=address, zone=None, reason="no_zone_map")
    segments = [
        segment
        for segment in StreetSegment.objects.filter(
            zone__zone_map=zone_map, street_key=address.street_key
        ).select_related("zone")
        if segment.postcode == address.postcode or segment.commune_key == address.commune
    ]
    if not segments:
        return Domicile(address=address, zone=None, reason="street_not_in_zones")
    zones = {segment.zone for segment in segments if segment.covers(address.number)}
    if not zones:
        return Domicile(address=address, zone=None, reason="number_not_in_zones")
    if len(zones) > 1:
        return Domicile(address=address, zone=None, reason="ambiguous")
    return Domicile(address=address, zone=zones.pop())


INCOME_PROBLEMS = {
    "incomplete": _(
        "la DGFiP n'a pas transmis de revenu fiscal de référence et de nombre de parts utilisables"
    ),
    "not_found": _("la CAF et la MSA ne connaissent pas de dossier allocataire à votre nom"),
    "invalid_identity": _(
        "votre identité est incomplète pour la CAF et la MSA (sexe, lieu de naissance : complétez la page du titulaire)"
    ),
    "unavailable": _("le service n'a pas pu répondre pour le moment"),
    "mismatch": _("les personnes que l'administration connaît ne sont pas les adultes de votre foyer"),
    "withdrawn": _("vous avez retiré votre accord : vos revenus ont été effacés"),
}


def income_problem_label(reason: str) -> str:
    """Said plainly: the social tariff does not apply, why, and what the resident can do."""
    return _(
        "Le tarif social ne s'applique pas (%(why)s) : vous payez le plein tarif. Vous pouvez le demander à nouveau depuis l'étape « Votre domicile »."
    ) % {"why": INCOME_PROBLEMS.get(reason, reason)}


def application_get_for_family(*, user, pk) -> Application:
    """The application if it belongs to the user's household, 404 otherwise (never 403: ids are not confirmed)."""
    queryset = Application.objects.select_related("household", "zone", "grid", "income").prefetch_related(
        "documents"
    )
    return get_object_or_404(queryset, pk=pk, household__owner=user)


def applications_for_household(household):
    return Application.objects.filter(household=household).select_related("zone").order_by("-created_at")


def pending_actions(household) -> list[PendingAction]:
    """What the resident must do (portal.demarches' hook, the top of the dashboard): a draft to finish. One query."""
    return [
        PendingAction(
            label=_("Votre demande de carte de stationnement résident n'est pas encore envoyée."),
            url=reverse("stationnement:vehicle", args=[application.pk]),
            action_label=_("Reprendre la demande"),
        )
        for application in Application.objects.filter(household=household, status=Application.Status.DRAFT)
    ]


def card_verify(token: str, *, today: date | None = None) -> tuple[str, Card | None]:
    """What the public check may say of a card: « valid », « expired » or « unknown » (a card not yet started is
    unknown there: nothing to enforce), and the card for its zone and end date."""
    today = today or timezone.localdate()
    card = Card.objects.select_related("zone").filter(token=token).first() if token else None
    if card is None:
        return "unknown", None
    state = card.state_on(today)
    return ("unknown", None) if state == "future" else (state, card)


def cards_valid_in_zone(zone_code: str, *, today: date | None = None):
    """The cards valid today in a zone (any zone-map version), for the enforcement system's export."""
    today = today or timezone.localdate()
    return (
        Card.objects.filter(zone__code=zone_code, starts_on__lte=today, ends_on__gte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .select_related("zone")
        .order_by("number")
    )


def _renewals():
    """The applications that renew the card of the outer query: sent or issued, naming it, or for the same plate
    and household since it was issued (a new application started from the dashboard rather than from the card)."""
    return Application.objects.filter(
        status__in=(Application.Status.SUBMITTED, Application.Status.ACCEPTED)
    ).filter(
        Q(replaces=OuterRef("pk"))
        | Q(
            household=OuterRef("household"),
            plate=OuterRef("application__plate"),
            created_at__gt=OuterRef("issued_at"),
        )
    )


def card_renewed(card: Card) -> bool:
    """Ended by a newer card, or a newer application sent or issued for it: no reminder then."""
    return card.ended_on is not None or Card.objects.filter(pk=card.pk).filter(Exists(_renewals())).exists()


def cards_to_remind(*, today: date, days: int):
    """The cards in force that end within `days` and were not reminded yet, nor renewed."""
    return (
        Card.objects.filter(
            reminded_at__isnull=True,
            ended_on__isnull=True,
            starts_on__lte=today,
            ends_on__gte=today,
            ends_on__lte=today + timedelta(days=days),
        )
        .exclude(Exists(_renewals()))
        .order_by("ends_on", "pk")
    )
