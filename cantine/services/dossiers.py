"""Writes on a dossier's life: creation, the family's details, sending, cancelling, renewing, and every status
change (agents' decisions included), each with its history, audit row and message in the caller's transaction."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cantine import notifications, selectors, workflow
from cantine.income.selectors import income_status
from cantine.models import (
    CrecheChoice,
    Dossier,
    DossierMessage,
    DossierStatusChange,
    Establishment,
    Period,
    Service,
    Weekday,
)
from cantine.services.quotes import dossier_quote_compute
from portal import formats
from portal.audit import audit_record
from portal.models import AuditEntry

Status = Dossier.Status
MAX_CRECHE_CHOICES = 3
SCHOOL_AGE = 2  # toute petite section: a school canteen takes no younger child


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
    _check_age(child=child, service=service, period=period, today=today)
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


def _check_age(*, child, service: Service, period: Period, today: date) -> None:
    """At step 2, not after the family has filled in the details: a crèche takes children under its age limit at
    the period's start, a school canteen children of school age during the period."""
    if service.kind == Service.Kind.CANTEEN and child.age_on(period.ends_on) < SCHOOL_AGE:
        raise ValidationError(
            _(
                "La restauration scolaire accueille les enfants scolarisés : %(child)s n'aura pas %(age)s ans pendant "
                "%(period)s."
            )
            % {"child": child.first_names, "age": SCHOOL_AGE, "period": formats.le(period.label)},
            code="too_young",
        )
    limit = service.max_age_years_with_disability if child.has_disability else service.max_age_years
    first_day = max(period.starts_on, today)
    if service.kind == Service.Kind.CRECHE and limit and child.age_on(first_day) >= limit:
        raise ValidationError(
            _(
                "Le %(day)s, premier jour d'accueil possible, %(child)s aura %(age)s ans : la crèche accueille les "
                "enfants de moins de %(limit)s ans."
            )
            % {
                "day": first_day.strftime("%d/%m/%Y"),
                "child": child.first_names,
                "age": child.age_on(first_day),
                "limit": limit,
            },
            code="too_old",
        )


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
            elif start < f"{service.opens_at:%H:%M}" or end > f"{service.closes_at:%H:%M}":
                errors["schedule"] = _(
                    "%(day)s : la crèche accueille les enfants de %(opens)s à %(closes)s."
                ) % {
                    "day": Weekday(day).label,
                    "opens": f"{service.opens_at:%H:%M}",
                    "closes": f"{service.closes_at:%H:%M}",
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


def dossier_transition(
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
    dossier = dossier_transition(
        dossier=dossier, to_status=Status.SUBMITTED, actor=user, actor_kind=workflow.Actor.FAMILY
    )
    if dossier.children_counted_at is None:  # sent again after documents were asked: the count stands
        dossier.children_counted_at = timezone.now()
        dossier.save(update_fields=["children_counted_at"])
    dossier_quote_compute(dossier=dossier)
    notifications.dossier_notify(dossier=dossier, kind=DossierMessage.Kind.SUBMITTED)
    return dossier


@transaction.atomic
def dossier_cancel(*, dossier: Dossier, user) -> Dossier:
    dossier_check_owner(dossier=dossier, user=user)
    return dossier_transition(
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
    return dossier_transition(
        dossier=dossier, to_status=to_status, actor=agent, actor_kind=workflow.Actor.AGENT, note=note, ip=ip
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
