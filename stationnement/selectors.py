"""Reads on zones: which zone an address lies in, or why none can be said without an agent."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.demarches import PendingAction
from stationnement.addresses import Address, AddressUnreadable, read
from stationnement.models import Application, Card, StreetSegment, Zone, ZoneMap


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


def application_get_for_family(*, user, pk) -> Application:
    """The application if it belongs to the user's household, 404 otherwise (never 403: ids are not confirmed)."""
    queryset = Application.objects.select_related("household", "zone", "grid").prefetch_related("documents")
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
