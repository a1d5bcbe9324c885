"""Writes on crèche places: the committee's offers, the family's answer, lapsed offers, and the contract drawn
from the PSU barème when a place is accepted."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import pricing
from cantine import contracts, notifications, selectors, workflow
from cantine.models import (
    CommitteeSession,
    CrecheCapacity,
    CrecheContract,
    Dossier,
    DossierMessage,
    Establishment,
    PlaceOffer,
)
from cantine.services.dossiers import dossier_check_owner, dossier_transition
from cantine.tariffs.errors import as_validation_error
from portal.audit import audit_record
from portal.models import AuditEntry

Status = Dossier.Status


@transaction.atomic
def place_offer_create(
    *,
    dossier: Dossier,
    session: CommitteeSession,
    establishment: Establishment,
    start_date: date,
    deadline: date,
    weeks_per_year: Decimal,
    months_billed: Decimal,
    agent,
    ip: str | None = None,
    today: date | None = None,
) -> PlaceOffer:
    """The committee's decision: offer a place of one of the family's crèches. The dossier, then the section's
    capacity rows, are locked and the free places counted again under the lock, so two agents never give the same
    place nor two places to one dossier."""
    today = today or timezone.localdate()
    dossier = (
        Dossier.objects.select_for_update(of=("self",)).select_related("child", "period").get(pk=dossier.pk)
    )
    if (
        dossier.status not in (Status.SUBMITTED, Status.UNDER_REVIEW)
        or session.period_id != dossier.period_id
    ):
        raise ValidationError(
            _("Cette demande n'est pas sur la liste d'attente de cette commission."), code="not_waiting"
        )
    if not dossier.creche_choices.filter(establishment=establishment).exists():
        raise ValidationError(_("La famille n'a pas demandé cette crèche."), code="not_chosen")
    if not (today <= deadline < start_date <= dossier.period.ends_on):
        raise ValidationError(
            _("La réponse est attendue avant l'entrée, qui a lieu pendant la période de la demande."),
            code="bad_dates",
        )
    age_group = selectors.age_group_on(dossier.child, start_date)
    list(
        CrecheCapacity.objects.select_for_update()
        .filter(establishment=establishment, age_group=age_group)
        .order_by("pk")
    )
    if selectors.offers_holding_places(today=today).filter(dossier=dossier).exists():
        raise ValidationError(_("Une place est déjà proposée à cette demande."), code="already_offered")
    free = selectors.places_free_from(
        establishment=establishment,
        age_group=age_group,
        start=start_date,
        until=dossier.period.ends_on,
        today=today,
    )
    if free < 1:
        raise ValidationError(
            _("Plus de place libre en section « %(section)s » à %(creche)s à partir du %(day)s.")
            % {
                "section": age_group.label,
                "creche": establishment.name,
                "day": start_date.strftime("%d/%m/%Y"),
            },
            code="no_place",
        )
    # A lapsed offer still marked "offered" would break the one-live-offer constraint: record its lapse first.
    dossier.place_offers.filter(status=PlaceOffer.Status.OFFERED, deadline__lt=today).update(
        status=PlaceOffer.Status.LAPSED
    )
    if dossier.status == Status.SUBMITTED:  # the committee examines it: it is under review from now on
        dossier = dossier_transition(
            dossier=dossier,
            to_status=Status.UNDER_REVIEW,
            actor=agent,
            actor_kind=workflow.Actor.AGENT,
            ip=ip,
        )
    offer = PlaceOffer.objects.create(
        dossier=dossier,
        session=session,
        establishment=establishment,
        age_group=age_group,
        start_date=start_date,
        deadline=deadline,
        weeks_per_year=weeks_per_year,
        months_billed=months_billed,
        decided_by=agent,
    )
    audit_record(actor=agent, action=AuditEntry.Action.OFFERED_PLACE, dossier=dossier, ip=ip, offer=offer.pk)
    notifications.dossier_notify(dossier=dossier, kind=DossierMessage.Kind.PLACE_OFFERED, offer=offer)
    return offer


def _locked_open_offer(offer: PlaceOffer, *, user, today: date) -> PlaceOffer:
    locked = (
        PlaceOffer.objects.select_for_update().select_related("dossier__child__household").get(pk=offer.pk)
    )
    dossier_check_owner(dossier=locked.dossier, user=user)
    if not locked.is_open(today):
        raise ValidationError(_("Cette proposition n'attend plus de réponse."), code="closed_offer")
    return locked


@transaction.atomic
def place_offer_accept(*, offer: PlaceOffer, user, today: date | None = None) -> CrecheContract:
    """The family takes the place before the deadline: the contract is drawn with the PSU figures."""
    offer = _locked_open_offer(offer, user=user, today=today or timezone.localdate())
    offer.status, offer.answered_at = PlaceOffer.Status.ACCEPTED, timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    figures = creche_contract_quote(offer)
    contract = CrecheContract.objects.create(
        offer=offer,
        dossier=offer.dossier,
        start_date=offer.start_date,
        hours_per_week=Decimal(figures.criteria["hours_per_week"]),
        weeks_per_year=offer.weeks_per_year,
        months_billed=offer.months_billed,
        hourly_rate=figures.amount,
        monthly_fee=figures.monthly,
        explanation=list(figures.explanation),
        accepted_by=user,
    )
    notifications.dossier_notify(
        dossier=offer.dossier, kind=DossierMessage.Kind.CONTRACT_DRAWN, contract=contract
    )
    # The committee's decision takes effect when the family takes the place: the dossier is accepted in the
    # name of the agent who made the offer, so billing exports and renewal see it.
    dossier_transition(
        dossier=offer.dossier,
        to_status=Status.ACCEPTED,
        actor=offer.decided_by,
        actor_kind=workflow.Actor.AGENT,
        note=_("Place acceptée par la famille à %(creche)s à partir du %(day)s.")
        % {"creche": offer.establishment.name, "day": offer.start_date.strftime("%d/%m/%Y")},
    )
    return contract


@transaction.atomic
def place_offer_decline(*, offer: PlaceOffer, user, today: date | None = None) -> PlaceOffer:
    """The family turns the place down: it is free again for the next candidate."""
    offer = _locked_open_offer(offer, user=user, today=today or timezone.localdate())
    offer.status, offer.answered_at = PlaceOffer.Status.DECLINED, timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    return offer


@transaction.atomic
def place_offers_expire(*, today: date | None = None) -> int:
    """Record the lapse of offers left unanswered after their deadline (their place is already free on read)."""
    today = today or timezone.localdate()
    return PlaceOffer.objects.filter(status=PlaceOffer.Status.OFFERED, deadline__lt=today).update(
        status=PlaceOffer.Status.LAPSED
    )


def creche_contract_quote(offer: PlaceOffer) -> pricing.Quote:
    """The PSU quote of the contract: the dossier's tariff facts read at the start date, with the schedule's weekly
    hours and the offer's weeks and months, so `tariff_quote --psu` replays it with the same inputs."""
    dossier = offer.dossier
    grid = selectors.active_grid(dossier.period)
    with as_validation_error():
        parsed = pricing.parse_grid(grid.data) if grid is not None else None
    if not isinstance(parsed, pricing.PsuGrid):
        raise ValidationError(
            _("La période n'a pas de barème PSU en vigueur : le contrat ne peut pas être établi."),
            code="no_psu",
        )
    facts = replace(
        selectors.tariff_facts(dossier, parsed),
        on=offer.start_date,
        hours_per_week=dossier.creche_weekly_hours().quantize(Decimal("0.01")),  # as the contract stores it
        weeks_per_year=offer.weeks_per_year,
        months=offer.months_billed,
    )
    with as_validation_error():
        return pricing.quote(parsed, facts, bareme=selectors.psu_bareme())


@transaction.atomic
def creche_contract_confirm(*, contract: CrecheContract, user) -> CrecheContract:
    """The family's online confirmation of its contract, which freezes what its PDF prints (contracts.
    contract_document); confirming twice keeps the first date and the first document."""
    locked = (
        CrecheContract.objects.select_for_update(of=("self",))
        .select_related(
            "dossier__child__household",
            "dossier__period",
            "offer__establishment",
            "offer__session",
            "accepted_by",
        )
        .get(pk=contract.pk)
    )
    dossier_check_owner(dossier=locked.dossier, user=user)
    if locked.confirmed_at is None:
        locked.confirmed_at, locked.confirmed_by = timezone.now(), user
        locked.document = contracts.contract_document(locked)
        locked.save(update_fields=["confirmed_at", "confirmed_by", "document"])
    return locked
