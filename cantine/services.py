"""Writes on enrolment dossiers. Family views and the admin both go through these functions."""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import pricing
from cantine import notifications, roles, selectors, workflow
from cantine.income.selectors import income_status
from cantine.models import (
    CommitteeSession,
    CrecheCapacity,
    CrecheChoice,
    CrecheContract,
    Dossier,
    DossierMessage,
    DossierQuote,
    DossierStatusChange,
    Establishment,
    Period,
    PlaceOffer,
    Service,
    TariffGrid,
    Weekday,
)
from cantine.tariffs.errors import as_validation_error
from impot_client.models import TaxData
from portal.audit import audit_record
from portal.models import AuditEntry

Status = Dossier.Status
MAX_CRECHE_CHOICES = 3


def _duplicate_error():
    return ValidationError(
        _(
            "Une demande existe déjà pour cet enfant, ce service et cette période : retrouvez-la sur votre tableau de bord."
        ),
        code="duplicate",
    )


@transaction.atomic
def dossier_create(*, child, service: Service, period: Period, today: date | None = None) -> Dossier:
    """Open a draft dossier, refusing closed periods and duplicates with a message the family can act on."""
    today = today or timezone.localdate()
    if not service.is_active:
        raise ValidationError(_("Ce service n'est plus proposé."), code="inactive_service")
    if period.service_id != service.pk:
        raise ValidationError(_("Cette période ne correspond pas au service choisi."), code="wrong_period")
    if today < period.enrolment_opens_on:
        raise ValidationError(
            _("Les inscriptions pour %(period)s ouvrent le %(day)s.")
            % {"period": period.label, "day": period.enrolment_opens_on.strftime("%d/%m/%Y")},
            code="not_open_yet",
        )
    if today > period.enrolment_closes_on:
        raise ValidationError(
            _("Les inscriptions pour %(period)s sont closes depuis le %(day)s.")
            % {"period": period.label, "day": period.enrolment_closes_on.strftime("%d/%m/%Y")},
            code="closed",
        )
    live = Dossier.objects.filter(child=child, service=service, period=period).exclude(
        status=Status.CANCELLED
    )
    if live.exists():
        raise _duplicate_error()
    establishment = None
    if (
        service.kind == Service.Kind.CANTEEN
        and child.school
        and service.establishments.filter(pk=child.school_id).exists()
    ):
        establishment = child.school
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                child=child, service=service, period=period, establishment=establishment
            )
    except IntegrityError as exc:  # a concurrent request created the same dossier
        raise _duplicate_error() from exc
    DossierStatusChange.objects.create(
        dossier=dossier, from_status="", to_status=Status.DRAFT, actor=child.household.owner
    )
    return dossier


def dossier_check_owner(*, dossier: Dossier, user) -> None:
    """Every service a family calls on a dossier checks here that the account owns it, whatever the view did
    before (its selector already answers 404 for another household's dossier)."""
    if dossier.child.household.owner_id != user.pk:
        raise ValidationError(_("Cette demande n'est pas la vôtre."), code="not_owner")


def _require_editable(dossier):
    if dossier.status not in workflow.EDITABLE:
        raise ValidationError(
            _("Cette demande est « %(status)s » : elle ne peut plus être modifiée.")
            % {"status": dossier.get_status_display()},
            code="not_editable",
        )


def _check_canteen_details(dossier, *, establishment, days):
    errors = {}
    if establishment is None:
        errors["establishment"] = _("Choisissez l'école où l'enfant déjeunera.")
    elif not dossier.service.establishments.filter(pk=establishment.pk, is_active=True).exists():
        errors["establishment"] = _("Cette école n'offre pas ce service.")
    unknown = set(days) - set(Weekday.values)
    if not days:
        errors["days"] = _("Cochez au moins un jour de repas.")
    elif unknown:
        errors["days"] = _("Jour inconnu : %(days)s.") % {"days": ", ".join(sorted(unknown))}
    if errors:
        raise ValidationError(errors)


def _check_creche_details(dossier, *, start_date, schedule, choices, today):
    errors = {}
    period, child, service = dossier.period, dossier.child, dossier.service
    if start_date is None:
        errors["start_date"] = _("Indiquez la date d'entrée souhaitée.")
    elif start_date < today:
        errors["start_date"] = _("La date d'entrée souhaitée ne peut pas être dans le passé.")
    elif not period.starts_on <= start_date <= period.ends_on:
        errors["start_date"] = _("Choisissez une date entre le %(start)s et le %(end)s.") % {
            "start": period.starts_on.strftime("%d/%m/%Y"),
            "end": period.ends_on.strftime("%d/%m/%Y"),
        }
    elif start_date < child.birth_date:
        errors["start_date"] = _("La date d'entrée doit suivre la naissance de l'enfant.")
    else:
        limit = service.max_age_years_with_disability if child.has_disability else service.max_age_years
        if limit and child.age_on(start_date) >= limit:
            errors["start_date"] = _(
                "À cette date, %(child)s aura %(age)s ans : la crèche accueille les enfants de moins de %(limit)s ans."
            ) % {"child": child.first_names, "age": child.age_on(start_date), "limit": limit}
    if not schedule:
        errors["schedule"] = _("Indiquez au moins un jour d'accueil avec ses horaires.")
    else:
        for day, (start, end) in schedule.items():
            if day not in Weekday.values:
                errors["schedule"] = _("Jour inconnu : %(day)s.") % {"day": day}
            elif start >= end:
                errors["schedule"] = _("%(day)s : l'heure d'arrivée doit précéder l'heure de départ.") % {
                    "day": Weekday(day).label
                }
    if not choices:
        errors["choices"] = _("Choisissez au moins une crèche.")
    elif len(choices) > MAX_CRECHE_CHOICES:
        errors["choices"] = _("Trois crèches au plus.")
    elif len({c.pk for c in choices}) != len(choices):
        errors["choices"] = _("Chaque crèche ne peut être choisie qu'une fois.")
    elif service.establishments.filter(pk__in=[c.pk for c in choices], is_active=True).count() != len(
        choices
    ):
        errors["choices"] = _("Une des crèches choisies n'offre pas ce service.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def dossier_set_canteen_details(
    *, dossier: Dossier, user, establishment: Establishment | None, days: list[str]
) -> Dossier:
    dossier_check_owner(dossier=dossier, user=user)
    _require_editable(dossier)
    _check_canteen_details(dossier, establishment=establishment, days=days)
    dossier.establishment = establishment
    dossier.canteen_days = [day for day in Weekday.values if day in days]
    dossier.save(update_fields=["establishment", "canteen_days", "updated_at"])
    return dossier


@transaction.atomic
def dossier_set_creche_details(
    *,
    dossier: Dossier,
    user,
    start_date: date | None,
    schedule: dict[str, tuple[str, str]],
    choices: list[Establishment],
    single_parent: bool = False,
    parents_working: bool = False,
    today: date | None = None,
) -> Dossier:
    """Record the wished start, the weekly hours, the crèches in order of preference and what the family declares
    for the waiting list's criteria."""
    dossier_check_owner(dossier=dossier, user=user)
    _require_editable(dossier)
    today = today or timezone.localdate()
    _check_creche_details(dossier, start_date=start_date, schedule=schedule, choices=choices, today=today)
    dossier.creche_start_date = start_date
    dossier.creche_schedule = {day: list(schedule[day]) for day in Weekday.values if day in schedule}
    dossier.establishment = choices[0]
    dossier.creche_single_parent, dossier.creche_parents_working = single_parent, parents_working
    dossier.save(
        update_fields=[
            "creche_start_date",
            "creche_schedule",
            "establishment",
            "creche_single_parent",
            "creche_parents_working",
            "updated_at",
        ]
    )
    dossier.creche_choices.all().delete()
    CrecheChoice.objects.bulk_create(
        CrecheChoice(dossier=dossier, establishment=establishment, rank=rank)
        for rank, establishment in enumerate(choices, start=1)
    )
    return dossier


def dossier_missing_details(dossier: Dossier) -> list[str]:
    """What the family still has to fill in before sending; empty when the dossier is complete."""
    missing = []
    canteen = dossier.service.kind == Service.Kind.CANTEEN
    creche = dossier.service.kind == Service.Kind.CRECHE
    if canteen and not (dossier.establishment_id and dossier.canteen_days):
        missing.append(_("l'école et les jours de repas"))
    if creche and not (
        dossier.creche_start_date and dossier.creche_schedule and dossier.creche_choices.exists()
    ):
        missing.append(_("la date d'entrée, le planning et les crèches souhaitées"))
    if not income_status(dossier).settled:
        missing.append(
            _("vos revenus (autoriser leur transmission, envoyer votre avis d'imposition ou refuser)")
        )
    return missing


def _transition(
    *, dossier: Dossier, to_status: str, actor, actor_kind: str, note: str = "", ip: str | None = None
) -> Dossier:
    """Check and record a status change. An agent's also writes the audit row and tells the family of a decision,
    all in the caller's transaction."""
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    workflow.check_transition(locked.status, to_status, actor_kind, note)
    from_status = locked.status
    locked.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status == Status.SUBMITTED:
        locked.submitted_at = timezone.now()
        update_fields.append("submitted_at")
    locked.save(update_fields=update_fields)
    DossierStatusChange.objects.create(
        dossier=locked, from_status=from_status, to_status=to_status, actor=actor, note=note.strip()
    )
    if actor_kind == workflow.Actor.AGENT:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.DECIDED,
            dossier=locked,
            ip=ip,
            from_status=from_status,
            to_status=to_status,
        )
        if to_status in notifications.DECISION_KINDS:
            notifications.dossier_notify(
                dossier=locked, kind=notifications.DECISION_KINDS[to_status], note=note.strip()
            )
    dossier.refresh_from_db()
    return dossier


@transaction.atomic
def dossier_submit(*, dossier: Dossier, user) -> Dossier:
    dossier_check_owner(dossier=dossier, user=user)
    missing = dossier_missing_details(dossier)
    if missing:
        raise ValidationError(
            _("Complétez d'abord : %(missing)s.") % {"missing": ", ".join(missing)}, code="incomplete"
        )
    dossier = _transition(
        dossier=dossier, to_status=Status.SUBMITTED, actor=user, actor_kind=workflow.Actor.FAMILY
    )
    dossier_quote_compute(dossier=dossier)
    notifications.dossier_notify(dossier=dossier, kind=DossierMessage.Kind.SUBMITTED)
    return dossier


@transaction.atomic
def dossier_cancel(*, dossier: Dossier, user) -> Dossier:
    dossier_check_owner(dossier=dossier, user=user)
    return _transition(
        dossier=dossier, to_status=Status.CANCELLED, actor=user, actor_kind=workflow.Actor.FAMILY
    )


@transaction.atomic
def dossier_start_review(*, dossier: Dossier, agent, ip: str | None = None) -> Dossier:
    return dossier_decide(dossier=dossier, agent=agent, to_status=Status.UNDER_REVIEW, ip=ip)


@transaction.atomic
def dossier_accept(*, dossier: Dossier, agent, note: str = "", ip: str | None = None) -> Dossier:
    return dossier_decide(dossier=dossier, agent=agent, to_status=Status.ACCEPTED, note=note, ip=ip)


@transaction.atomic
def dossier_reject(*, dossier: Dossier, agent, reason: str, ip: str | None = None) -> Dossier:
    """The reason is the family's to read: it is in the history and in the message they receive."""
    return dossier_decide(dossier=dossier, agent=agent, to_status=Status.REJECTED, note=reason, ip=ip)


@transaction.atomic
def dossier_request_documents(*, dossier: Dossier, agent, message: str, ip: str | None = None) -> Dossier:
    return dossier_decide(
        dossier=dossier, agent=agent, to_status=Status.AWAITING_DOCUMENTS, note=message, ip=ip
    )


@transaction.atomic
def dossier_decide(
    *, dossier: Dossier, agent, to_status: str, note: str = "", ip: str | None = None
) -> Dossier:
    """The admin's single entry point for an agent's decision; the workflow refuses any move not an agent's."""
    return _transition(
        dossier=dossier, to_status=to_status, actor=agent, actor_kind=workflow.Actor.AGENT, note=note, ip=ip
    )


@transaction.atomic
def tariff_grid_save(
    *, period: Period, data: dict, label: str, agent, grid: TariffGrid | None = None, ip: str | None = None
) -> TariffGrid:
    """Save a grid. A version no quote uses yet is updated in place; one a quote uses is left as it is and the
    change becomes a new version (in force if the old one was), so every quote keeps the grid it came from."""
    with as_validation_error():  # French messages, keyed by field
        pricing.parse_grid(data)
    if grid is not None and not TariffGrid.objects.select_for_update().get(pk=grid.pk).in_use:
        grid.data, grid.label = data, label
        grid.save(update_fields=["data", "label"])
        saved = grid
    else:
        latest = (
            TariffGrid.objects.filter(period=period)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        was_active = grid is not None and grid.is_active
        if was_active:
            TariffGrid.objects.filter(pk=grid.pk).update(is_active=False)
        saved = TariffGrid.objects.create(
            period=period,
            version=(latest or 0) + 1,
            label=label,
            data=data,
            is_active=was_active,
            created_by=agent,
        )
    _audit_grid(saved, agent=agent, ip=ip, change="saved")
    return saved


@transaction.atomic
def tariff_grid_activate(*, grid: TariffGrid, agent=None, ip: str | None = None) -> TariffGrid:
    """Put a version in force for its period. Quotes already computed keep theirs until recomputed."""
    TariffGrid.objects.select_for_update().filter(period=grid.period, is_active=True).exclude(
        pk=grid.pk
    ).update(is_active=False)
    grid.is_active = True
    grid.save(update_fields=["is_active"])
    _audit_grid(grid, agent=agent, ip=ip, change="activated")
    return grid


def _audit_grid(grid: TariffGrid, *, agent, ip, change: str):
    if agent is not None:  # None: data migrations, seed_demo and tests, not an agent's act
        audit_record(
            actor=agent,
            action=AuditEntry.Action.CHANGED_GRID,
            ip=ip,
            grid=grid.pk,
            period=grid.period_id,
            version=grid.version,
            change=change,
        )


@transaction.atomic
def dossier_quote_compute(*, dossier: Dossier, actor=None, ip: str | None = None) -> DossierQuote | None:
    """Compute and store the dossier's tariff with the grid in force; None when the period has no grid yet, and
    for a dossier not billed (a draft, a closed one: never quoted again, whoever asks). Called when the family sends
    the dossier, then only by an explicit agent action (`actor`, audited) or command. An agent's override stays;
    the family is told when the amount it is billed changes."""
    if dossier.status in workflow.NOT_BILLED:
        return None
    grid = selectors.active_grid(dossier.period)
    if grid is None:
        return None
    previous = DossierQuote.objects.select_for_update().filter(dossier=dossier).first()
    quote = _quote_store(dossier=dossier, grid=grid, actor=actor)
    if actor is not None:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.RECOMPUTED_TARIFF,
            dossier=dossier,
            ip=ip,
            grid_version=grid.version,
        )
    if previous is not None and quote.final_amount != previous.final_amount:
        notifications.dossier_notify(dossier=dossier, kind=DossierMessage.Kind.TARIFF_CHANGED, quote=quote)
    return quote


def _quote_store(*, dossier: Dossier, grid: TariffGrid, actor=None, erased_at=None) -> DossierQuote:
    """The engine's quote for the dossier's tariff facts today, stored over the previous one (its override kept).
    `erased_at`: the figures it replaces were erased then (kept only when the new quote quotes none)."""
    facts = selectors.tariff_facts(dossier)
    bareme = selectors.psu_bareme() if grid.kind == "psu" else None
    with as_validation_error():
        result = pricing.quote(pricing.parse_grid(grid.data), facts, bareme=bareme)
    quote, _created = DossierQuote.objects.update_or_create(
        dossier=dossier,
        defaults={
            "grid": grid,
            "amount": result.amount,
            "unit": result.unit,
            "income_source": facts.income_source,
            "qf": result.qf,
            "explanation": list(result.explanation),
            "criteria": {name: value for name, value in result.criteria.items() if name != "qf"},
            "computed_at": timezone.now(),
            "computed_by": actor,
            "income_erased_at": None if facts.income_source in pricing.WITH_FIGURES else erased_at,
        },
    )
    return quote


class IncomeErasure(models.TextChoices):
    """Why a dossier's tax data went, and with it every figure derived from it."""

    WITHDRAWN = "withdrawn", gettext_lazy("accord retiré par la famille")
    RETENTION = "retention", gettext_lazy("durée de conservation écoulée")


@transaction.atomic
def dossier_income_erase(*, dossier: Dossier, reason: str) -> DossierQuote | None:
    """The dossier's tax data has just gone (the income step's withdrawal and retention purge call this): every figure
    derived from it goes too (QF, PSU resources, children in charge, the explanations quoting them). Returns the
    quote left, if any.

    On withdrawal the tariff becomes what the consent page promised: recomputed from what is left, that is the
    highest, or waiting for the agent when a tax notice is sent (a dossier not sent loses its quote); an agent's
    override stays, being the amount billed and justified. At the retention's end the period is long over: the
    tariff billed stays, its figures go. A crèche contract keeps its hourly rate and fee, which the family signed and
    pays, and loses the lines of its computation."""
    now = timezone.now()
    quote = DossierQuote.objects.select_for_update().filter(dossier=dossier).first()
    if quote is not None and reason == IncomeErasure.WITHDRAWN:
        if dossier.status in workflow.NOT_BILLED:  # their quote goes with the figures it came from
            quote.delete()
            quote = None
        else:
            quote = _quote_store(dossier=dossier, grid=quote.grid, erased_at=now)
    elif quote is not None and quote.income_erased_at is None and quote.income_source in pricing.WITH_FIGURES:
        quote.qf = None
        quote.criteria = {
            name: value for name, value in quote.criteria.items() if name not in pricing.INCOME_CRITERIA
        }
        quote.explanation = [
            _(
                "Les revenus qui ont servi à ce calcul ont été effacés le %(day)s (%(reason)s) : le tarif calculé "
                "était de %(price)s %(unit)s."
            )
            % {
                "day": timezone.localdate(now).strftime("%d/%m/%Y"),
                "reason": IncomeErasure(reason).label,
                "price": f"{number_format(quote.amount, decimal_pos=2)}\u00a0€",
                "unit": quote.unit_label,
            }
        ]
        quote.income_erased_at = now
        quote.save(update_fields=["qf", "criteria", "explanation", "income_erased_at"])
    contract = (
        CrecheContract.objects.select_for_update().filter(dossier=dossier, income_erased_at=None).first()
    )
    if contract is not None:
        contract.explanation = [
            _(
                "Le détail du calcul, qui citait les revenus du foyer, a été effacé le %(day)s (%(reason)s). Le "
                "tarif horaire et la mensualité sont ceux du contrat."
            )
            % {"day": timezone.localdate(now).strftime("%d/%m/%Y"), "reason": IncomeErasure(reason).label},
            pricing.monthly_fee_line(
                hours=contract.hours_per_week,
                weeks=contract.weeks_per_year,
                months=contract.months_billed,
                hourly=contract.hourly_rate,
                monthly=contract.monthly_fee,
            ),
        ]
        contract.income_erased_at = now
        contract.save(update_fields=["explanation", "income_erased_at"])
    return quote


@transaction.atomic
def dossier_quote_override(
    *, dossier: Dossier, agent, amount: Decimal | None, justification: str, ip: str | None = None
) -> DossierQuote:
    """Bill `amount` instead of the computed tariff, which stays on the quote for the record. The justification
    is mandatory: the family reads it on its dossier page and in the message it receives."""
    justification = justification.strip()
    errors = {}
    if amount is None or amount < 0:
        errors["amount"] = ValidationError(
            _("Indiquez un tarif positif ou nul, en euros."), code="negative_amount"
        )
    if not justification:
        errors["justification"] = ValidationError(
            _("La justification est obligatoire : la famille la lira avec son nouveau tarif."),
            code="justification_required",
        )
    if errors:
        raise ValidationError(errors)
    quote = DossierQuote.objects.select_for_update().select_related("dossier").filter(dossier=dossier).first()
    if quote is None:
        raise ValidationError(
            _("Cette demande n'a pas encore de tarif calculé : recalculez-le avant de le modifier."),
            code="no_quote",
        )
    if quote.dossier.status in workflow.CLOSED:
        raise ValidationError(
            _("Cette demande est « %(status)s » : son tarif ne se modifie plus.")
            % {"status": quote.dossier.get_status_display()},
            code="closed",
        )
    quote.overridden_amount = amount
    quote.override_justification = justification
    quote.overridden_by = agent
    quote.overridden_at = timezone.now()
    quote.save(
        update_fields=["overridden_amount", "override_justification", "overridden_by", "overridden_at"]
    )
    audit_record(actor=agent, action=AuditEntry.Action.OVERRODE_TARIFF, dossier=quote.dossier, ip=ip)
    notifications.dossier_notify(dossier=quote.dossier, kind=DossierMessage.Kind.TARIFF_CHANGED, quote=quote)
    return quote


@dataclass(frozen=True)
class FiscalData:
    """What a dossier tells about the household's income: the tax figures, and the QF and explanation of the
    tariff, which quote them."""

    tax_data: TaxData | None
    qf: Decimal | None
    explanation: list[str]


@transaction.atomic
def fiscal_data_view(*, dossier: Dossier, user, ip: str | None = None) -> FiscalData | None:
    """The dossier's income figures for a user with cantine.view_fiscal_data, each look written to the audit log;
    None for anyone else, who sees the tariff and its source, not the amounts."""
    if not roles.can_view_fiscal_data(user):
        return None
    tax_data = TaxData.objects.filter(dossier=dossier).select_related("checked_by").first()
    quote = DossierQuote.objects.filter(dossier=dossier).first()
    if tax_data is None and quote is None:
        return FiscalData(tax_data=None, qf=None, explanation=[])
    audit_record(actor=user, action=AuditEntry.Action.VIEWED_FISCAL_DATA, dossier=dossier, ip=ip)
    return FiscalData(
        tax_data=tax_data,
        qf=quote.qf if quote else None,
        explanation=list(quote.explanation) if quote else [],
    )


@transaction.atomic
def dossier_renew(*, dossier: Dossier, user, today: date | None = None) -> Dossier:
    """Re-enrol for the next period: a new draft with the same choices. The income consent is not copied:
    it is given per period, so the family is asked again for that year's tax data."""
    dossier_check_owner(dossier=dossier, user=user)
    period = selectors.renewal_period(dossier, today=today)
    if period is None:
        raise ValidationError(
            _("Aucune réinscription n'est ouverte pour cette demande en ce moment."), code="no_renewal"
        )
    renewed = dossier_create(child=dossier.child, service=dossier.service, period=period, today=today)
    renewed.establishment = dossier.establishment
    renewed.canteen_days = dossier.canteen_days
    renewed.creche_schedule = dossier.creche_schedule
    renewed.creche_start_date = period.starts_on if dossier.creche_start_date else None
    renewed.save(update_fields=["establishment", "canteen_days", "creche_schedule", "creche_start_date"])
    CrecheChoice.objects.bulk_create(
        CrecheChoice(dossier=renewed, establishment=choice.establishment, rank=choice.rank)
        for choice in dossier.creche_choices.all()
    )
    return renewed


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
        dossier = _transition(
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
    )
    notifications.dossier_notify(
        dossier=offer.dossier, kind=DossierMessage.Kind.CONTRACT_DRAWN, contract=contract
    )
    # The committee's decision takes effect when the family takes the place: the dossier is accepted in the
    # name of the agent who made the offer, so billing exports and renewal see it.
    _transition(
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
        selectors.tariff_facts(dossier),
        on=offer.start_date,
        hours_per_week=dossier.creche_weekly_hours().quantize(Decimal("0.01")),  # as the contract stores it
        weeks_per_year=offer.weeks_per_year,
        months=offer.months_billed,
    )
    with as_validation_error():
        return pricing.quote(parsed, facts, bareme=selectors.psu_bareme())


@transaction.atomic
def creche_contract_confirm(*, contract: CrecheContract, user) -> CrecheContract:
    """The family's online confirmation of its contract; confirming twice keeps the first date."""
    locked = (
        CrecheContract.objects.select_for_update()
        .select_related("dossier__child__household")
        .get(pk=contract.pk)
    )
    dossier_check_owner(dossier=locked.dossier, user=user)
    if locked.confirmed_at is None:
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_at"])
    return locked
