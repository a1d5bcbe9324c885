from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from cantine import services
from cantine.income.services import consent_record
from cantine.models import Dossier
from cantine.workflow import TransitionRefused
from portal.models import Consent
from tests.factories import (
    ChildFactory,
    CrecheServiceFactory,
    DossierFactory,
    EstablishmentFactory,
    PeriodFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Status = Dossier.Status
TODAY = timezone.localdate()


class TestCreate:
    def test_opens_a_draft_with_its_first_history_row_and_the_childs_school(self):
        period = PeriodFactory()
        school = period.service.establishments.get()
        child = ChildFactory(school=school, class_level="CP")
        dossier = services.dossier_create(child=child, service=period.service, period=period)
        assert dossier.status == Status.DRAFT
        assert dossier.establishment == school
        change = dossier.history.get()
        assert (change.from_status, change.to_status, change.actor) == (
            "",
            Status.DRAFT,
            child.household.owner,
        )

    def test_refused_before_enrolment_opens(self):
        period = PeriodFactory(enrolment_opens_on=TODAY + timedelta(days=1))
        with pytest.raises(ValidationError, match="ouvrent le"):
            services.dossier_create(child=ChildFactory(), service=period.service, period=period)

    def test_refused_after_enrolment_closes(self):
        period = PeriodFactory(
            enrolment_opens_on=TODAY - timedelta(days=9), enrolment_closes_on=TODAY - timedelta(days=1)
        )
        with pytest.raises(ValidationError, match="closes depuis"):
            services.dossier_create(child=ChildFactory(), service=period.service, period=period)

    def test_open_on_the_first_and_last_day(self):
        for period in (PeriodFactory(enrolment_opens_on=TODAY), PeriodFactory(enrolment_closes_on=TODAY)):
            services.dossier_create(child=ChildFactory(), service=period.service, period=period)

    def test_refused_for_a_period_of_another_service(self):
        period, other = PeriodFactory(), PeriodFactory()
        with pytest.raises(ValidationError, match="ne correspond pas"):
            services.dossier_create(child=ChildFactory(), service=other.service, period=period)

    def test_duplicate_is_refused_with_a_clear_message(self):
        dossier = DossierFactory()
        with pytest.raises(ValidationError, match="existe déjà"):
            services.dossier_create(child=dossier.child, service=dossier.service, period=dossier.period)
        assert Dossier.objects.count() == 1

    def test_the_database_itself_refuses_a_duplicate(self):
        dossier = DossierFactory()
        with pytest.raises(IntegrityError):
            Dossier.objects.create(child=dossier.child, service=dossier.service, period=dossier.period)

    def test_a_cancelled_dossier_frees_the_slot(self, make_dossier):
        cancelled = make_dossier(Status.CANCELLED)
        again = services.dossier_create(
            child=cancelled.child, service=cancelled.service, period=cancelled.period
        )
        assert again.pk != cancelled.pk


class TestCanteenDetails:
    def test_records_the_days_in_week_order(self):
        dossier = DossierFactory(canteen_days=[])
        services.dossier_set_canteen_details(
            dossier=dossier, user=dossier.child.household.owner, establishment=dossier.establishment, days=["fri", "mon", "thu"]
        )
        dossier.refresh_from_db()
        assert dossier.canteen_days == ["mon", "thu", "fri"]

    def test_needs_a_day_and_a_school_of_the_service(self):
        dossier = DossierFactory()
        with pytest.raises(ValidationError) as error:
            services.dossier_set_canteen_details(
                dossier=dossier, user=dossier.child.household.owner, establishment=EstablishmentFactory(), days=[]
            )
        assert set(error.value.message_dict) == {"establishment", "days"}

    def test_refused_once_submitted(self, make_dossier):
        dossier = make_dossier(Status.SUBMITTED)
        with pytest.raises(ValidationError, match="ne peut plus être modifiée"):
            services.dossier_set_canteen_details(
                dossier=dossier, user=dossier.child.household.owner, establishment=dossier.establishment, days=["mon"]
            )


@pytest.fixture
def creche_dossier():
    service = CrecheServiceFactory()
    period = PeriodFactory(service=service)
    baby = ChildFactory(birth_date=TODAY - timedelta(days=200))
    return services.dossier_create(child=baby, service=service, period=period)


def creche_details(dossier, **overrides):
    values = {
        "start_date": max(TODAY, dossier.period.starts_on) + timedelta(days=7),
        "schedule": {"mon": ("08:30", "17:30"), "tue": ("08:30", "17:30")},
        "choices": list(dossier.service.establishments.order_by("pk")),
        **overrides,
    }
    return services.dossier_set_creche_details(dossier=dossier, user=dossier.child.household.owner, **values)


class TestCrecheDetails:
    def test_records_start_schedule_and_ranked_choices(self, creche_dossier):
        creches = list(creche_dossier.service.establishments.order_by("-pk"))
        creche_details(creche_dossier, choices=creches)
        creche_dossier.refresh_from_db()
        assert creche_dossier.creche_schedule == {"mon": ["08:30", "17:30"], "tue": ["08:30", "17:30"]}
        assert [c.establishment for c in creche_dossier.creche_choices.all()] == creches
        assert creche_dossier.establishment == creches[0]

    def test_start_date_in_the_past_is_refused(self, creche_dossier):
        with pytest.raises(ValidationError) as error:
            creche_details(creche_dossier, start_date=TODAY - timedelta(days=1))
        assert error.value.message_dict["start_date"] == [
            "La date d'entrée souhaitée ne peut pas être dans le passé."
        ]

    def test_child_too_old_for_a_creche_is_refused(self, creche_dossier):
        child = creche_dossier.child
        child.birth_date = TODAY - timedelta(days=3 * 366)
        child.save()
        with pytest.raises(ValidationError) as error:
            creche_details(creche_dossier)
        assert "moins de 3 ans" in error.value.message_dict["start_date"][0]

    def test_a_child_with_aeeh_may_stay_until_six(self, creche_dossier):
        child = creche_dossier.child
        child.birth_date = TODAY - timedelta(days=4 * 366)
        child.has_disability = True
        child.save()
        creche_details(creche_dossier)

    def test_schedule_hours_must_be_in_order(self, creche_dossier):
        with pytest.raises(ValidationError) as error:
            creche_details(creche_dossier, schedule={"mon": ("18:00", "08:00")})
        assert "Lundi" in error.value.message_dict["schedule"][0]

    @pytest.mark.parametrize("problem", ["none", "twice", "four", "foreign"])
    def test_choices_are_one_to_three_distinct_creches_of_the_service(self, creche_dossier, problem):
        creches = list(creche_dossier.service.establishments.all())
        choices = {
            "none": [],
            "twice": [creches[0], creches[0]],
            "four": [*creches, EstablishmentFactory(kind="creche")],
            "foreign": [EstablishmentFactory(kind="creche")],
        }[problem]
        with pytest.raises(ValidationError) as error:
            creche_details(creche_dossier, choices=choices)
        assert "choices" in error.value.message_dict

    def test_submit_needs_the_details_and_an_answer_on_income(self, creche_dossier):
        owner = creche_dossier.child.household.owner
        with pytest.raises(ValidationError, match="planning"):
            services.dossier_submit(dossier=creche_dossier, user=owner)
        creche_details(creche_dossier)
        with pytest.raises(ValidationError, match="vos revenus"):
            services.dossier_submit(dossier=creche_dossier, user=owner)
        consent_record(
            user=owner, dossier=creche_dossier, decision=Consent.Decision.REFUSED, shown_text_hash="0" * 64
        )
        services.dossier_submit(dossier=creche_dossier, user=creche_dossier.child.household.owner)
        assert creche_dossier.status == Status.SUBMITTED


class TestTransitions:
    def test_submit_timestamps_and_writes_history(self):
        dossier = DossierFactory()
        owner = dossier.child.household.owner
        services.dossier_submit(dossier=dossier, user=owner)
        assert dossier.status == Status.SUBMITTED and dossier.submitted_at
        change = dossier.history.get()
        assert (change.from_status, change.to_status, change.actor) == (Status.DRAFT, Status.SUBMITTED, owner)

    def test_full_agent_path_keeps_every_step(self, make_dossier):
        dossier = make_dossier(Status.AWAITING_DOCUMENTS)
        services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)
        agent = UserFactory(is_staff=True)
        services.dossier_start_review(dossier=dossier, agent=agent)
        services.dossier_accept(dossier=dossier, agent=agent)
        assert list(dossier.history.values_list("to_status", flat=True)) == [
            Status.SUBMITTED,
            Status.UNDER_REVIEW,
            Status.AWAITING_DOCUMENTS,
            Status.SUBMITTED,
            Status.UNDER_REVIEW,
            Status.ACCEPTED,
        ]
        assert dossier.history.get(to_status=Status.AWAITING_DOCUMENTS).note.startswith("Merci de joindre")

    def test_refused_transition_changes_nothing(self, make_dossier):
        dossier = make_dossier(Status.ACCEPTED)
        with pytest.raises(TransitionRefused):
            services.dossier_cancel(dossier=dossier, user=dossier.child.household.owner)
        dossier.refresh_from_db()
        assert dossier.status == Status.ACCEPTED
        assert dossier.history.count() == 3

    def test_reject_needs_a_reason(self, make_dossier):
        dossier = make_dossier(Status.UNDER_REVIEW)
        with pytest.raises(TransitionRefused):
            services.dossier_reject(dossier=dossier, agent=UserFactory(is_staff=True), reason="")
        assert Dossier.objects.get(pk=dossier.pk).status == Status.UNDER_REVIEW

    def test_decide_dispatches_only_agent_moves(self, make_dossier):
        dossier = make_dossier(Status.SUBMITTED)
        with pytest.raises(TransitionRefused):
            services.dossier_decide(
                dossier=dossier, agent=UserFactory(is_staff=True), to_status=Status.CANCELLED
            )
        services.dossier_decide(
            dossier=dossier, agent=UserFactory(is_staff=True), to_status=Status.UNDER_REVIEW
        )
        assert dossier.status == Status.UNDER_REVIEW

    def test_stale_copy_cannot_move_twice(self, make_dossier):
        """The row is re-read under lock: an outdated in-memory status does not let a move through."""
        dossier = make_dossier(Status.SUBMITTED)
        stale = Dossier.objects.get(pk=dossier.pk)
        services.dossier_cancel(dossier=dossier, user=dossier.child.household.owner)
        with pytest.raises(TransitionRefused):
            services.dossier_start_review(dossier=stale, agent=UserFactory(is_staff=True))


def test_period_dates_are_checked_by_the_database():
    with pytest.raises(IntegrityError):
        PeriodFactory(starts_on=date(2026, 9, 1), ends_on=date(2026, 8, 1))


class TestOwnership:
    """Every family-side service checks the account owns the dossier, whatever view calls it: another household's
    account changes nothing and is told so."""

    ACTIONS = {
        "submit": lambda dossier, user: services.dossier_submit(dossier=dossier, user=user),
        "cancel": lambda dossier, user: services.dossier_cancel(dossier=dossier, user=user),
        "renew": lambda dossier, user: services.dossier_renew(dossier=dossier, user=user),
        "canteen_details": lambda dossier, user: services.dossier_set_canteen_details(
            dossier=dossier, user=user, establishment=dossier.establishment, days=["fri"]
        ),
        "creche_details": lambda dossier, user: services.dossier_set_creche_details(
            dossier=dossier,
            user=user,
            start_date=max(TODAY, dossier.period.starts_on) + timedelta(days=7),
            schedule={"mon": ("08:30", "17:30")},
            choices=[dossier.establishment],
        ),
    }

    @pytest.mark.parametrize("action", ACTIONS)
    def test_another_households_account_is_refused_and_nothing_changes(self, action):
        dossier = DossierFactory(canteen_days=["mon"])
        stranger = UserFactory()
        before = (dossier.status, dossier.canteen_days, dossier.history.count(), Dossier.objects.count())
        with pytest.raises(ValidationError) as error:
            self.ACTIONS[action](dossier, stranger)
        assert error.value.code == "not_owner"
        dossier.refresh_from_db()
        assert (dossier.status, dossier.canteen_days, dossier.history.count(), Dossier.objects.count()) == before
