"""Reads on enrolment data, always scoped to the family asking, and what a tariff computation reads."""

import dataclasses
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import pricing
from cantine.income.selectors import income_order, income_status
from cantine.models import (
    AgeGroup,
    CommitteeSession,
    CrecheCapacity,
    CrecheChoice,
    Dossier,
    Period,
    PlaceOffer,
    PsuEffortRate,
    PsuResourceLimit,
    Service,
    TariffGrid,
    WaitingListCriterion,
)
from cantine.tariffs.errors import error_messages
from portal import formats
from portal.demarches import PendingAction
from portal.models import Child
from pricing import Bareme, EffortRate, Facts, ResourceLimits


def dossiers_for_household(household):
    return (
        Dossier.objects.filter(child__household=household)
        .select_related("child", "service", "period", "establishment")
        .order_by("-created_at")
    )


def dossier_get_for_family(*, user, pk) -> Dossier:
    """The dossier if it belongs to the user's household, 404 otherwise (never 403: ids are not confirmed)."""
    queryset = Dossier.objects.select_related(
        "child__household", "service", "period", "establishment", "quote__grid"
    ).prefetch_related(
        Prefetch("creche_choices", queryset=CrecheChoice.objects.select_related("establishment")), "history"
    )
    return get_object_or_404(queryset, pk=pk, child__household__owner=user)


def services_offered():
    return Service.objects.filter(is_active=True).order_by("name")


def periods_for_service(service, today=None):
    """Periods not yet over, with the open ones first so families see what they can apply for."""
    today = today or timezone.localdate()
    return Period.objects.filter(service=service, ends_on__gte=today).order_by("starts_on")


def periods_open_for_enrolment(service, today=None):
    """The periods a family may apply for today: only these are offered at step 2."""
    today = today or timezone.localdate()
    return periods_for_service(service, today).filter(enrolment_opens_on__lte=today, enrolment_closes_on__gte=today)


def periods_not_open(service, today=None):
    """Periods not over whose enrolment has not opened yet or has closed: step 2 says when instead of offering
    them."""
    today = today or timezone.localdate()
    return periods_for_service(service, today).filter(
        Q(enrolment_opens_on__gt=today) | Q(enrolment_closes_on__lt=today)
    )


def active_grid(period) -> TariffGrid | None:
    return TariffGrid.objects.filter(period=period, is_active=True).first()


def psu_bareme() -> Bareme:
    """The barème agents maintain in the admin (shipped by a data migration from pricing.bareme)."""
    return Bareme(
        rates=tuple(_as(EffortRate, row) for row in PsuEffortRate.objects.all()),
        limits=tuple(_as(ResourceLimits, row) for row in PsuResourceLimit.objects.all()),
    )


def _as(figure_class, row):
    return figure_class(
        **{field.name: getattr(row, field.name) for field in dataclasses.fields(figure_class)}
    )


def child_rank(dossier) -> int:
    """The child's rank among the household's children enrolled in the same service and period, eldest first:
    some grids price the 3rd child and beyond lower."""
    enrolled = (
        Dossier.objects.filter(
            child__household=dossier.child.household, service=dossier.service, period=dossier.period
        )
        .exclude(status__in=[Dossier.Status.CANCELLED, Dossier.Status.REJECTED])
        .order_by("child__birth_date", "child_id")
        .values_list("child_id", flat=True)
    )
    children = list(dict.fromkeys(enrolled))
    return children.index(dossier.child_id) + 1 if dossier.child_id in children else len(children) + 1


def tariff_facts(dossier, grid=None) -> Facts:
    """What the household brings to the tariff: the first usable income in the grid's order (pricing.INCOME_KEYS:
    the CAF/MSA figures, DGFiP's, a notice's; never a mismatch nor figures waiting for an agent), or why there are
    none; the child's rank; for a crèche, the PSU inputs. `grid` (parsed): the one to quote on (a draft the council
    compares), else the period's grid in force. Batch jobs read the same facts with cantine.tariffs.bulk_facts."""
    income = income_status(dossier)
    children, aeeh = children_counted(
        dossier.child.household.children.values_list("added_at", "has_disability"), dossier.children_counted_at
    )
    return facts_of(
        order=grid.income if grid is not None else income_order(dossier),
        state=income.state,
        tax_data=income.tax_data,
        benefit=income.benefit_data,
        creche=dossier.service.kind == Service.Kind.CRECHE,
        rank=child_rank(dossier),
        on=dossier.creche_start_date or dossier.period.starts_on,
        children=children,
        aeeh=aeeh,
    )


def children_counted(children, counted_at) -> tuple[int, int]:
    """(children, of whom with AEEH) a crèche rate counts, from the household's (added_at, has_disability): those
    added before `counted_at`, the dossier's children_counted_at (all of them while it is not set). A child added
    after stays out until an agent counts it (services.dossier_children_count)."""
    counted = [disabled for added, disabled in children if counted_at is None or added is None or added <= counted_at]
    return len(counted), sum(1 for disabled in counted if disabled)


def children_to_count() -> Exists:
    """On dossiers: a sent crèche dossier's household has a child it does not count yet (the agents' flag)."""
    added = Child.objects.filter(household=OuterRef("child__household"), added_at__gt=OuterRef("children_counted_at"))
    return Exists(added) & Q(service__kind=Service.Kind.CRECHE)


def children_added_since_counted(dossier):
    """The household's children a sent crèche dossier does not count yet: for the agent to check."""
    if dossier.children_counted_at is None or dossier.service.kind != Service.Kind.CRECHE:
        return dossier.child.household.children.none()
    return dossier.child.household.children.filter(added_at__gt=dossier.children_counted_at)


def facts_of(*, order, state, tax_data, benefit, creche, rank, on, children, aeeh) -> Facts:
    """The one definition of a dossier's tariff facts from what was read about it, one dossier or many at once."""
    facts = {"rank": rank}
    if creche:
        facts.update(on=on, children=children, aeeh=aeeh)
    for key in order:
        if key == "caf" and benefit is not None and benefit.usable_for_tariff:
            facts["income_source"] = benefit.income_source
            if creche and benefit.annual_resources is not None:
                facts.update(
                    annual_resources=Decimal(benefit.annual_resources),
                    resources_year=benefit.resources_year,
                    children=max(benefit.children or 0, 1),
                    aeeh=benefit.aeeh_children or 0,
                )
            elif not creche and benefit.qf is not None:
                facts.update(qf=Decimal(benefit.qf), qf_year=benefit.year, qf_month=benefit.month)
            else:
                continue
            return Facts(**facts)
        usable = tax_data is not None and tax_data.usable_for_tariff
        if key in ("dgfip", "notice") and usable and _tax_data_key(tax_data) == key:
            facts.update(income_source=key, rfr=Decimal(tax_data.rfr), parts=tax_data.nb_parts)
            if creche:
                facts["children"] = max(tax_data.nb_pac or 0, children)
            return Facts(**facts)
    source = {"declined": "declined", "withdrawn": "withdrawn"}.get(state, "none")
    return Facts(**facts, income_source=source)


def _tax_data_key(data) -> str:
    return "notice" if data.source == data.Source.NOTICE else "dgfip"


def renewal_period(dossier, today=None) -> Period | None:
    """The next period of the dossier's service open for enrolment today, if the child is not enrolled in it yet:
    an accepted family re-enrols from there."""
    if dossier.status != Dossier.Status.ACCEPTED:
        return None
    today = today or timezone.localdate()
    period = (
        Period.objects.filter(
            service=dossier.service,
            starts_on__gt=dossier.period.starts_on,
            enrolment_opens_on__lte=today,
            enrolment_closes_on__gte=today,
        )
        .order_by("starts_on")
        .first()
    )
    already = (
        period is not None
        and Dossier.objects.filter(child=dossier.child, service=dossier.service, period=period)
        .exclude(status=Dossier.Status.CANCELLED)
        .exists()
    )
    return None if already else period


def age_group_on(child, day: date) -> AgeGroup:
    months = (day.year - child.birth_date.year) * 12 + day.month - child.birth_date.month
    if day.day < child.birth_date.day:
        months -= 1
    return AgeGroup.for_months(max(months, 0))


def offers_holding_places(*, today: date | None = None):
    """Offers that hold a place: accepted ones, and offered ones whose deadline has not passed (a lapsed offer
    frees its place on read, before `expire_offers` records it)."""
    today = today or timezone.localdate()
    return PlaceOffer.objects.filter(
        Q(status=PlaceOffer.Status.ACCEPTED) | Q(status=PlaceOffer.Status.OFFERED, deadline__gte=today)
    )


def places_free(*, establishment, age_group: str, on: date, today: date | None = None) -> int:
    """Places of the section on `on`: its capacity then, less the offers holding a place that day (an offer holds
    it from its start date to the end of its dossier's period)."""
    capacity = (
        CrecheCapacity.objects.filter(establishment=establishment, age_group=age_group, from_date__lte=on)
        .order_by("-from_date")
        .values_list("places", flat=True)
        .first()
    )
    held = (
        offers_holding_places(today=today)
        .filter(
            establishment=establishment,
            age_group=age_group,
            start_date__lte=on,
            dossier__period__ends_on__gte=on,
        )
        .count()
    )
    return (capacity or 0) - held


def places_free_from(*, establishment, age_group: str, start: date, until: date, today=None) -> int:
    """The fewest places free on any day from `start` to `until`: a place given from `start` is held all along.
    Free places only change on a capacity's date or an offer's start, so those days are enough to check."""
    changes = set(
        CrecheCapacity.objects.filter(
            establishment=establishment, age_group=age_group, from_date__gt=start, from_date__lte=until
        ).values_list("from_date", flat=True)
    ) | set(
        offers_holding_places(today=today)
        .filter(establishment=establishment, age_group=age_group, start_date__gt=start, start_date__lte=until)
        .values_list("start_date", flat=True)
    )
    return min(
        places_free(establishment=establishment, age_group=age_group, on=day, today=today)
        for day in {start, *changes}
    )


def places_free_by_section(period, on: date, today: date | None = None) -> list[tuple[str, str, int]]:
    """(crèche, section, places free on `on`) for the period's crèches: what a committee session allocates."""
    return [
        (creche.name, group.label, places_free(establishment=creche, age_group=group, on=on, today=today))
        for creche in period.service.establishments.filter(is_active=True).order_by("name")
        for group in AgeGroup
    ]


@dataclasses.dataclass(frozen=True)
class Candidate:
    dossier: Dossier
    score: int
    breakdown: tuple[tuple[str, int], ...]  # (criterion's label, points) for each criterion met


def _criteria_met(dossier, siblings_in_creche: set) -> dict[str, bool]:
    Code = WaitingListCriterion.Code
    return {
        Code.SIBLING: dossier.child.household_id in siblings_in_creche,
        Code.SINGLE_PARENT: dossier.creche_single_parent,
        Code.DISABILITY: dossier.child.has_disability,
        Code.PARENTS_WORKING: dossier.creche_parents_working,
    }


def waiting_list(*, service, period, today: date | None = None) -> list[Candidate]:
    """Sent crèche applications without a place held, by score (the published criteria), then application date."""
    criteria = list(WaitingListCriterion.objects.filter(is_active=True))
    holding = offers_holding_places(today=today).values("dossier")
    dossiers = (
        Dossier.objects.filter(
            service=service,
            period=period,
            status__in=[Dossier.Status.SUBMITTED, Dossier.Status.UNDER_REVIEW],
        )
        .exclude(pk__in=holding)
        .select_related("child__household")
        .prefetch_related(
            Prefetch("creche_choices", queryset=CrecheChoice.objects.select_related("establishment"))
        )
    )
    siblings_in_creche = set(
        offers_holding_places(today=today)
        .filter(status=PlaceOffer.Status.ACCEPTED, dossier__service=service)
        .values_list("dossier__child__household", flat=True)
    )
    candidates = []
    for dossier in dossiers:
        met = _criteria_met(dossier, siblings_in_creche)
        breakdown = tuple(
            (criterion.get_code_display(), criterion.points) for criterion in criteria if met[criterion.code]
        )
        candidates.append(Candidate(dossier, sum(points for _label, points in breakdown), breakdown))
    return sorted(candidates, key=lambda c: (-c.score, c.dossier.submitted_at, c.dossier.pk))


def next_decision_date(period, today: date | None = None) -> date | None:
    """The decision date of the next committee session: what a family on the waiting list can expect."""
    today = today or timezone.localdate()
    return (
        CommitteeSession.objects.filter(period=period, decision_date__gte=today)
        .order_by("decision_date")
        .values_list("decision_date", flat=True)
        .first()
    )


@dataclasses.dataclass(frozen=True)
class QueuePlace:
    position: int
    total: int
    decision_date: date | None


def _score(*, service, today: date | None = None):
    """The waiting list's score as an expression on dossiers: the points of each active criterion met (the same
    criteria as _criteria_met), so that a family's position is counted in SQL."""
    Code = WaitingListCriterion.Code
    sibling = offers_holding_places(today=today).filter(
        status=PlaceOffer.Status.ACCEPTED,
        dossier__service=service,
        dossier__child__household=OuterRef("child__household"),
    )
    met = {
        Code.SIBLING: Q(Exists(sibling)),
        Code.SINGLE_PARENT: Q(creche_single_parent=True),
        Code.DISABILITY: Q(child__has_disability=True),
        Code.PARENTS_WORKING: Q(creche_parents_working=True),
    }
    points = [
        Case(When(met[code], then=Value(value)), default=Value(0), output_field=IntegerField())
        for code, value in WaitingListCriterion.objects.filter(is_active=True).values_list("code", "points")
    ]
    return sum(points[1:], points[0]) if points else Value(0, output_field=IntegerField())


def queue_place(dossier, today: date | None = None) -> QueuePlace | None:
    """Where the family's own application stands: its rank and the list's length, never other families' data.
    None when it is not on the waiting list. Counted in SQL (the order of waiting_list: score, then date sent,
    then pk), in a fixed number of queries whatever the list's length."""
    holding = offers_holding_places(today=today).values("dossier")
    candidates = (
        Dossier.objects.filter(
            service=dossier.service_id,
            period=dossier.period_id,
            status__in=[Dossier.Status.SUBMITTED, Dossier.Status.UNDER_REVIEW],
        )
        .exclude(pk__in=holding)
        .annotate(score=_score(service=dossier.service_id, today=today))
    )
    mine = candidates.filter(pk=dossier.pk).values("score", "submitted_at").first()
    if mine is None:
        return None
    score, sent = mine["score"], mine["submitted_at"]
    ahead = (
        Q(score__gt=score)
        | Q(score=score, submitted_at__lt=sent)
        | Q(score=score, submitted_at=sent, pk__lt=dossier.pk)
    )
    counts = candidates.aggregate(total=Count("pk"), ahead=Count("pk", filter=ahead))
    return QueuePlace(counts["ahead"] + 1, counts["total"], next_decision_date(dossier.period, today))


def place_offer_current(dossier) -> PlaceOffer | None:
    return dossier.place_offers.select_related("establishment", "contract").first()


@dataclasses.dataclass(frozen=True)
class TariffPreview:
    """What the review step tells the family of its tariff before it sends the dossier: the amount the grid in
    force gives with the facts known today and how it is reached, or, plainly, why it cannot be told yet."""

    amount: Decimal | None = None
    unit_label: str = ""
    explanation: tuple[str, ...] = ()
    explanation_hidden: bool = False  # it quotes figures a local account never sees (numéro fiscal, identity)
    pending: str = ""

    @property
    def known(self) -> bool:
        return self.amount is not None


def tariff_preview(dossier) -> TariffPreview:
    """Computed, never stored: the quote is only written when the dossier is sent (services.dossier_submit)."""
    grid = active_grid(dossier.period)
    if grid is None:
        return TariffPreview(
            pending=_("La grille tarifaire de cette période n'est pas encore en vigueur : le tarif sera calculé "
                      "dès qu'elle le sera, et vous en serez informé(e).")
        )
    income = income_status(dossier)
    if not income.settled:
        return TariffPreview(pending=_("Le tarif dépend de vos revenus : indiquez-les d'abord (étape « revenus »)."))
    if income.state == "notice":
        return TariffPreview(
            pending=_("Un agent de la commune lira votre avis d'imposition et saisira ses montants : le tarif "
                      "sera calculé ensuite, et vous en serez informé(e).")
        )
    if income.needs_agent:
        return TariffPreview(
            pending=_("Vos revenus sont reçus : un agent de la commune vérifie qu'ils sont bien ceux de votre foyer "
                      "avant qu'ils servent à votre tarif. Il sera calculé ensuite, et vous en serez informé(e).")
        )
    try:
        parsed = pricing.parse_grid(grid.data)
        facts = tariff_facts(dossier, parsed)
        result = pricing.quote(parsed, facts, bareme=psu_bareme() if grid.kind == "psu" else None)
    except pricing.PricingError as error:
        return TariffPreview(
            pending=_("Le tarif ne peut pas encore être calculé : %(why)s")
            % {"why": " ".join(error_messages(error))}
        )
    return TariffPreview(
        amount=result.amount,
        unit_label=str(pricing.UNITS.get(result.unit, result.unit)),
        explanation=tuple(result.explanation),
        explanation_hidden=not income.family_sees_figures and facts.income_source in ("dgfip", "caf", "msa"),
    )


def pending_actions(household, today: date | None = None) -> list[PendingAction]:
    """What the family must do on its enrolments (portal.demarches' hook, the top of its dashboard): a place to
    answer before its deadline, a contract to read and confirm, documents an agent asked for, a draft to finish
    before enrolment closes. Two queries whatever the number of dossiers."""
    today = today or timezone.localdate()
    actions = []
    offers = (
        PlaceOffer.objects.filter(dossier__child__household=household)
        .filter(
            Q(status=PlaceOffer.Status.OFFERED, deadline__gte=today)
            | Q(status=PlaceOffer.Status.ACCEPTED, contract__isnull=False, contract__confirmed_at__isnull=True)
        )
        .select_related("dossier__child", "establishment")
    )
    for offer in offers:
        url = reverse("cantine:dossier_detail", args=[offer.dossier_id]) + "#titre-place"
        child = offer.dossier.child.first_names
        if offer.status == PlaceOffer.Status.OFFERED:
            actions.append(
                PendingAction(
                    label=_("Une place vous est proposée pour %(child)s %(at_creche)s : acceptez-la ou refusez-la.")
                    % {"child": child, "at_creche": formats.a_le(offer.establishment.name)},
                    url=url,
                    action_label=_("Répondre à la proposition"),
                    deadline=offer.deadline,
                )
            )
        else:
            actions.append(
                PendingAction(
                    label=_("Le contrat d'accueil %(of_child)s est prêt : lisez-le et confirmez-le.")
                    % {"of_child": formats.de(child)},
                    url=url,
                    action_label=_("Lire et confirmer le contrat"),
                )
            )
    editable = Dossier.objects.filter(
        child__household=household, status__in=[Dossier.Status.DRAFT, Dossier.Status.AWAITING_DOCUMENTS]
    ).select_related("child", "service", "period")
    for dossier in editable:
        values = {"ref": dossier.reference, "service": dossier.service.name, "child": dossier.child.first_names}
        if dossier.status == Dossier.Status.AWAITING_DOCUMENTS:
            actions.append(
                PendingAction(
                    label=_("Des pièces sont demandées pour la demande %(ref)s (%(service)s, %(child)s).") % values,
                    url=reverse("cantine:dossier_detail", args=[dossier.pk]) + "#titre-messages",
                    action_label=_("Voir les pièces demandées"),
                )
            )
        elif dossier.period.enrolment_closes_on >= today:
            actions.append(
                PendingAction(
                    label=_("La demande %(ref)s (%(service)s, %(child)s) n'est pas encore envoyée.") % values,
                    url=reverse("cantine:dossier_review", args=[dossier.pk]),
                    action_label=_("Terminer et envoyer la demande"),
                    deadline=dossier.period.enrolment_closes_on,
                )
            )
    return actions


@dataclasses.dataclass(frozen=True)
class CriterionPoints:
    label: str
    points: int
    met: bool


@dataclasses.dataclass(frozen=True)
class WaitingListPoints:
    """The waiting list's published criteria as the family reads them, each with whether its application meets it,
    and its total: what ranks it (ties go to the earliest application)."""

    criteria: tuple[CriterionPoints, ...]

    @property
    def total(self) -> int:
        return sum(criterion.points for criterion in self.criteria if criterion.met)


def waiting_list_points(dossier, today: date | None = None) -> WaitingListPoints:
    """The same criteria and points as waiting_list and queue_place count, for one crèche application."""
    sibling = (
        offers_holding_places(today=today)
        .filter(
            status=PlaceOffer.Status.ACCEPTED,
            dossier__service=dossier.service_id,
            dossier__child__household=dossier.child.household_id,
        )
        .exists()
    )
    met = _criteria_met(dossier, {dossier.child.household_id} if sibling else set())
    return WaitingListPoints(
        tuple(
            CriterionPoints(criterion.get_code_display(), criterion.points, met[criterion.code])
            for criterion in WaitingListCriterion.objects.filter(is_active=True)
        )
    )
