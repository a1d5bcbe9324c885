"""Crèche places: capacity and free places, the waiting list, committee offers, expiry, the PSU contract."""

import html
import json
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from cantine import roles, selectors, services
from cantine.admin.dossiers import PlaceOfferForm
from cantine.models import (
    AgeGroup,
    CommitteeSession,
    CrecheCapacity,
    Dossier,
    DossierMessage,
    PlaceOffer,
    TariffGrid,
    WaitingListCriterion,
)
from portal.models import AuditEntry
from tests.cantine.backoffice import staff, submitted, with_income
from tests.cantine.grids import COLLECTIVE as PSU
from tests.factories import CrecheServiceFactory, PeriodFactory, UserFactory, creche_dossier

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
START = TODAY + timedelta(days=30)
DEADLINE = TODAY + timedelta(days=10)
BABY = START - timedelta(days=300)  # ten months old at the start: bébés


def setting(places=1):
    """A crèche service and period with the PSU barème, its first crèche with `places` for bébés, a committee
    session."""
    period = PeriodFactory(service=CrecheServiceFactory())
    TariffGrid.objects.create(period=period, version=1, label="Barème", data=PSU, is_active=True)
    creche = period.service.establishments.first()
    CrecheCapacity.objects.create(
        establishment=creche, age_group=AgeGroup.BABIES, from_date=period.starts_on, places=places
    )
    session = CommitteeSession.objects.create(
        period=period, held_on=TODAY, decision_date=TODAY + timedelta(days=3)
    )
    return period, creche, session


def waiting(period, **kwargs):
    """A crèche application sent (income declined), on the waiting list."""
    dossier = creche_dossier(period=period, start=START, birth_date=BABY, income_declined=True, **kwargs)
    return services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)


def offer(dossier, session, creche, agent=None, **kwargs):
    return services.place_offer_create(
        dossier=dossier,
        session=session,
        establishment=creche,
        start_date=kwargs.pop("start_date", START),
        deadline=kwargs.pop("deadline", DEADLINE),
        weeks_per_year=Decimal("45"),
        months_billed=Decimal("11"),
        agent=agent or staff(group="Agent petite enfance"),
        **kwargs,
    )


class TestFreePlaces:
    def test_capacity_less_the_places_held_from_each_start_date(self):
        period, creche, session = setting(places=2)
        first, second = waiting(period), waiting(period)
        assert selectors.places_free(establishment=creche, age_group=AgeGroup.BABIES, on=START) == 2
        offer(first, session, creche)
        offer(second, session, creche, start_date=START + timedelta(days=60))
        assert selectors.places_free(establishment=creche, age_group=AgeGroup.BABIES, on=START) == 1
        assert (
            selectors.places_free(
                establishment=creche, age_group=AgeGroup.BABIES, on=START + timedelta(days=60)
            )
            == 0
        )
        # Other sections, and days before any capacity, have none.
        assert selectors.places_free(establishment=creche, age_group=AgeGroup.OLDER, on=START) == 0

    def test_a_place_given_later_in_the_year_cannot_be_given_again_from_an_earlier_date(self):
        period, creche, session = setting(places=1)
        later, earlier = waiting(period), waiting(period)
        offer(later, session, creche, start_date=START + timedelta(days=60))
        with pytest.raises(ValidationError) as error:
            offer(earlier, session, creche)
        assert error.value.code == "no_place"

    def test_age_group_follows_the_age_in_months_at_the_start(self):
        child = type("Child", (), {"birth_date": date(2025, 1, 15)})
        assert selectors.age_group_on(child, date(2026, 7, 14)) == AgeGroup.BABIES  # 17 months
        assert selectors.age_group_on(child, date(2026, 7, 15)) == AgeGroup.MIDDLE  # 18 months
        assert selectors.age_group_on(child, date(2027, 7, 15)) == AgeGroup.OLDER  # 30 months


class TestWaitingList:
    def test_published_points_then_application_date_with_the_breakdown(self):
        period, _creche, _session = setting()
        first = waiting(period)
        second = waiting(period)
        second.creche_parents_working = True
        second.save(update_fields=["creche_parents_working"])
        third = waiting(period)
        third.creche_single_parent = True
        third.save(update_fields=["creche_single_parent"])
        ranked = selectors.waiting_list(service=period.service, period=period)
        assert [c.dossier for c in ranked] == [third, second, first]
        assert ranked[0].score == 20
        assert ranked[0].breakdown == (("Parent isolé", 20),)
        assert ranked[2].breakdown == ()

    def test_the_family_declares_what_the_criteria_ask(self, client):
        period, creche, _session = setting()
        dossier = creche_dossier(period=period, start=START, birth_date=BABY)
        client.force_login(dossier.child.household.owner)
        client.post(
            reverse("cantine:dossier_edit_details", args=[dossier.pk]),
            {
                "start_date": START.isoformat(),
                "mon_start": "08:30",
                "mon_end": "17:30",
                "choice_1": creche.pk,
                "single_parent": "on",
            },
        )
        dossier.refresh_from_db()
        assert (dossier.creche_single_parent, dossier.creche_parents_working) == (True, False)

    def test_points_are_configurable_and_a_disabled_criterion_counts_nothing(self):
        period, _creche, _session = setting()
        first, second = waiting(period), waiting(period)
        second.creche_parents_working = True
        second.save(update_fields=["creche_parents_working"])
        WaitingListCriterion.objects.filter(code="parents_working").update(is_active=False)
        ranked = selectors.waiting_list(service=period.service, period=period)
        assert [c.dossier for c in ranked] == [first, second]

    def test_a_sibling_with_an_accepted_place_and_a_disability_count(self):
        period, creche, session = setting(places=2)
        elder = waiting(period)
        offer(elder, session, creche)
        services.place_offer_accept(offer=elder.place_offers.get(), user=elder.child.household.owner)
        alone = waiting(period)
        disabled = waiting(period)
        disabled.child.has_disability = True
        disabled.child.save(update_fields=["has_disability"])
        sibling = waiting(period, household=elder.child.household)
        ranked = selectors.waiting_list(service=period.service, period=period)
        assert [c.dossier for c in ranked] == [sibling, disabled, alone]
        assert ranked[0].breakdown == (("Frère ou sœur déjà accueilli(e) à la crèche", 30),)
        assert ranked[1].breakdown == (("Enfant en situation de handicap", 20),)

    def test_the_family_sees_its_position_and_the_next_decision_date_only(self, client):
        period, _creche, session = setting()
        other = waiting(period)
        other.creche_single_parent = True
        other.save(update_fields=["creche_single_parent"])
        mine = waiting(period)
        place = selectors.queue_place(mine)
        assert (place.position, place.total, place.decision_date) == (2, 2, session.decision_date)
        client.force_login(mine.child.household.owner)
        page = client.get(reverse("cantine:dossier_detail", args=[mine.pk])).content.decode()
        assert "position 2 sur 2" in page
        assert session.decision_date.strftime("%d/%m/%Y") in page
        assert other.reference not in page and other.child.first_names not in page


class TestOffers:
    def test_an_offer_is_audited_and_the_family_told(self):
        period, creche, session = setting()
        dossier = waiting(period)
        agent = staff(group="Agent petite enfance")
        made = offer(dossier, session, creche, agent=agent, ip="203.0.113.7")
        assert made.age_group == AgeGroup.BABIES and made.status == PlaceOffer.Status.OFFERED
        entry = AuditEntry.objects.get(action=AuditEntry.Action.OFFERED_PLACE)
        assert (entry.actor, entry.dossier, entry.ip_address) == (agent, dossier, "203.0.113.7")
        message = dossier.messages.get(kind=DossierMessage.Kind.PLACE_OFFERED)
        assert DEADLINE.strftime("%d/%m/%Y") in message.body
        assert selectors.queue_place(dossier) is None
        dossier.refresh_from_db()
        assert dossier.status == Dossier.Status.UNDER_REVIEW  # the committee examined it

    def test_refused_for_a_crèche_the_family_did_not_ask_for_or_twice(self):
        period, creche, session = setting(places=3)
        dossier = waiting(period)
        other = period.service.establishments.exclude(pk=creche.pk).first()
        with pytest.raises(ValidationError) as error:
            offer(dossier, session, other)
        assert error.value.code == "not_chosen"
        offer(dossier, session, creche)
        with pytest.raises(ValidationError) as error:
            offer(dossier, session, creche)
        assert error.value.code == "already_offered"

    def test_a_declined_offer_frees_the_place_for_the_next_candidate(self):
        period, creche, session = setting(places=1)
        first, second = waiting(period), waiting(period)
        made = offer(first, session, creche)
        with pytest.raises(ValidationError):
            offer(second, session, creche)
        services.place_offer_decline(offer=made, user=first.child.household.owner)
        assert offer(second, session, creche).status == PlaceOffer.Status.OFFERED

    def test_only_the_family_answers(self):
        period, creche, session = setting()
        made = offer(waiting(period), session, creche)
        with pytest.raises(ValidationError) as error:
            services.place_offer_accept(offer=made, user=UserFactory())
        assert error.value.code == "not_owner"


class TestExpiry:
    def test_past_the_deadline_the_offer_lapses_and_the_place_goes_back(self):
        period, creche, session = setting(places=1)
        first, second = waiting(period), waiting(period)
        made = offer(first, session, creche)
        after = DEADLINE + timedelta(days=1)
        # On read, before the command: the place is free, the family can no longer accept.
        assert (
            selectors.places_free(establishment=creche, age_group=AgeGroup.BABIES, on=START, today=after) == 1
        )
        with pytest.raises(ValidationError) as error:
            services.place_offer_accept(offer=made, user=first.child.household.owner, today=after)
        assert error.value.code == "closed_offer"
        assert services.place_offers_expire(today=DEADLINE) == 0
        assert services.place_offers_expire(today=after) == 1
        made.refresh_from_db()
        assert made.status == PlaceOffer.Status.LAPSED
        assert offer(second, session, creche, today=after, deadline=after).status == PlaceOffer.Status.OFFERED
        # The lapsed family is back on the waiting list.
        assert selectors.queue_place(first, today=after).position == 1

    def test_the_command_records_lapsed_offers(self):
        period, creche, session = setting()
        made = offer(waiting(period), session, creche)
        PlaceOffer.objects.filter(pk=made.pk).update(deadline=TODAY - timedelta(days=1))
        out = StringIO()
        call_command("expire_offers", stdout=out)
        assert "1 proposition(s) expirée(s)" in out.getvalue()
        made.refresh_from_db()
        assert made.status == PlaceOffer.Status.LAPSED


class TestContract:
    def accepted(self):
        period, creche, session = setting()
        dossier = creche_dossier(period=period, start=START, birth_date=BABY, siblings=1)
        dossier.creche_schedule = {
            "mon": ["08:30", "17:30"],
            "tue": ["08:30", "17:30"],
            "thu": ["08:00", "12:20"],
        }
        dossier.save(update_fields=["creche_schedule"])
        submitted(with_income(dossier, rfr=36000, parts="2", nb_pac=2))
        made = offer(dossier, session, creche)
        return services.place_offer_accept(offer=made, user=dossier.child.household.owner)

    def test_the_figures_equal_tariff_quote_for_the_same_inputs(self):
        contract = self.accepted()
        out = StringIO()
        call_command(
            "tariff_quote",
            "--psu",
            "--date", START.isoformat(),
            "--establishment", "collective",
            "--annual-resources", "36000",
            "--children", "2",
            "--hours-per-week", "22.33",
            "--weeks-per-year", "45",
            "--months", "11",
            stdout=out,
        )  # fmt: skip
        quoted = json.loads(out.getvalue())
        assert contract.hours_per_week == Decimal("22.33")  # 9 h + 9 h + 4 h 20
        assert (contract.hourly_rate, contract.monthly_fee) == (
            Decimal(quoted["amount"]),
            Decimal(quoted["monthly"]),
        )
        assert contract.offer.status == PlaceOffer.Status.ACCEPTED
        assert contract.dossier.messages.filter(kind=DossierMessage.Kind.CONTRACT_DRAWN).exists()

    def test_the_family_reads_downloads_and_confirms_it(self, client):
        contract = self.accepted()
        client.force_login(contract.dossier.child.household.owner)
        page = client.get(reverse("cantine:dossier_detail", args=[contract.dossier.pk])).content.decode()
        assert f"{contract.monthly_fee}\xa0€".replace(".", ",") in page and "Je confirme ce contrat" in page
        pdf = client.get(reverse("cantine:creche_contract_pdf", args=[contract.dossier.pk]))
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert pdf["Cache-Control"] == "private, no-store"
        client.post(reverse("cantine:creche_contract_confirm", args=[contract.dossier.pk]))
        contract.refresh_from_db()
        assert contract.confirmed_at is not None

    def test_another_family_cannot_reach_it(self, client):
        contract = self.accepted()
        client.force_login(UserFactory())
        assert (
            client.get(reverse("cantine:creche_contract_pdf", args=[contract.dossier.pk])).status_code == 404
        )
        assert (
            client.post(reverse("cantine:creche_contract_confirm", args=[contract.dossier.pk])).status_code
            == 404
        )

    def test_the_family_accepts_online(self, client):
        period, creche, session = setting()
        dossier = creche_dossier(period=period, start=START, birth_date=BABY)
        submitted(with_income(dossier, rfr=36000, parts="2", nb_pac=2))
        offer(dossier, session, creche)
        client.force_login(dossier.child.household.owner)
        page = client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        assert "accepte la place" in page
        client.post(reverse("cantine:place_offer_accept", args=[dossier.pk]))
        made = dossier.place_offers.get()
        assert made.contract.monthly_fee > 0
        dossier.refresh_from_db()
        # Accepted in the name of the committee's agent: billing exports and renewal see it now.
        assert dossier.status == Dossier.Status.ACCEPTED
        assert dossier.history.last().actor == made.decided_by


    def test_refusing_the_place_asks_for_confirmation_first(self, client):
        period, creche, session = setting()
        dossier = creche_dossier(period=period, start=START, birth_date=BABY)
        submitted(with_income(dossier, rfr=36000, parts="2", nb_pac=2))
        offer(dossier, session, creche)
        client.force_login(dossier.child.household.owner)
        url = reverse("cantine:place_offer_decline", args=[dossier.pk])
        detail = client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        assert f'href="{url}"' in detail  # a link to the confirmation page, not a one-click form
        page = html.unescape(client.get(url).content.decode())
        assert "Ce qui va se passer" in page and "proposée à une autre famille" in page
        assert dossier.place_offers.get().status == PlaceOffer.Status.OFFERED  # reading it changes nothing
        client.post(url)
        assert dossier.place_offers.get().status == PlaceOffer.Status.DECLINED
        assert client.get(url).url == reverse("cantine:dossier_detail", args=[dossier.pk])  # nothing left to refuse


class TestCommitteeAdmin:
    def test_the_session_lists_the_queue_and_the_agent_offers_a_place(self, client):
        period, creche, session = setting()
        dossier = waiting(period)
        dossier.creche_single_parent = True
        dossier.save(update_fields=["creche_single_parent"])
        agent = staff(group=roles.CRECHE_AGENTS)
        client.force_login(agent)
        page = client.get(
            reverse("admin:cantine_committeesession_change", args=[session.pk])
        ).content.decode()
        assert dossier.reference in page and "Parent isolé : 20" in page
        assert f"{creche.name} — Bébés : 1" in page
        response = client.post(
            reverse("admin:cantine_dossier_offer", args=[dossier.pk]),
            {
                "session": session.pk,
                "establishment": creche.pk,
                "start_date": START.strftime("%d/%m/%Y"),
                "deadline": DEADLINE.strftime("%d/%m/%Y"),
                "weeks_per_year": "45",
                "months_billed": "11",
            },
        )
        assert response.status_code == 302
        made = dossier.place_offers.get()
        assert (made.decided_by, made.establishment) == (agent, creche)
        assert AuditEntry.objects.get(action=AuditEntry.Action.OFFERED_PLACE).ip_address == "127.0.0.1"
        page = client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
        assert 'id="place_offers-heading"' in page and "Proposée" in page

    def test_a_crèche_agent_opens_sessions_for_crèche_periods_only(self, client):
        period, _creche, _session = setting()
        canteen = PeriodFactory()
        client.force_login(staff(group=roles.CRECHE_AGENTS))
        page = client.get(reverse("admin:cantine_committeesession_add")).content.decode()
        assert period.label in page and canteen.label not in page
        response = client.post(
            reverse("admin:cantine_committeesession_add"),
            {
                "period": period.pk,
                "held_on": TODAY.strftime("%d/%m/%Y"),
                "decision_date": TODAY.strftime("%d/%m/%Y"),
            },
        )
        assert response.status_code == 302 and CommitteeSession.objects.count() == 2

    def test_a_refusal_is_shown_on_the_form(self, client):
        period, creche, session = setting(places=0)
        dossier = waiting(period)
        client.force_login(staff(group=roles.CRECHE_AGENTS))
        response = client.post(
            reverse("admin:cantine_dossier_offer", args=[dossier.pk]),
            {
                "session": session.pk,
                "establishment": creche.pk,
                "start_date": START.strftime("%d/%m/%Y"),
                "deadline": DEADLINE.strftime("%d/%m/%Y"),
                "weeks_per_year": "45",
                "months_billed": "11",
            },
        )
        assert response.status_code == 200 and "Plus de place libre" in response.content.decode()
        assert not PlaceOffer.objects.exists()

    def test_canteen_agents_see_no_session_offer_nor_contract(self, client):
        period, creche, session = setting()
        offer(waiting(period), session, creche)
        client.force_login(staff(group=roles.CANTEEN_AGENTS))
        assert client.get(reverse("admin:cantine_committeesession_changelist")).status_code == 403
        assert client.get(reverse("admin:cantine_placeoffer_changelist")).status_code == 403
        client.force_login(staff("cantine.view_committeesession", "cantine.view_placeoffer"))
        assert (
            session.period.label
            not in client.get(reverse("admin:cantine_committeesession_changelist")).content.decode()
        )
        assert (
            client.get(reverse("admin:cantine_committeesession_change", args=[session.pk])).status_code == 302
        )


def race(monkeypatch, *allocations):
    """Run the allocations at the same moment, each waiting after counting the free places (so without the row
    locks, each would see a place still free); the outcomes, as error codes or "offered"."""
    counted = selectors.places_free_from

    def slow_count(**kwargs):
        free = counted(**kwargs)
        time.sleep(0.5)
        return free

    monkeypatch.setattr(selectors, "places_free_from", slow_count)
    barrier = threading.Barrier(len(allocations))
    outcomes = []

    def allocate(allocation):
        try:
            barrier.wait()
            allocation()
            outcomes.append("offered")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=allocate, args=[allocation]) for allocation in allocations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks (SELECT … FOR UPDATE) need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
@POSTGRESQL_ONLY
def test_two_agents_never_give_the_same_place_twice(monkeypatch, migrations_data):
    period, creche, session = setting(places=1)
    first, second = waiting(period), waiting(period)
    outcomes = race(
        monkeypatch,
        lambda: offer(first, session, creche, agent=staff(group=roles.CRECHE_AGENTS)),
        lambda: offer(second, session, creche, agent=staff(group=roles.CRECHE_AGENTS)),
    )
    assert outcomes == ["no_place", "offered"]
    assert PlaceOffer.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@POSTGRESQL_ONLY
def test_two_agents_never_give_one_application_two_places(monkeypatch, migrations_data):
    period, creche, session = setting(places=1)
    other = period.service.establishments.exclude(pk=creche.pk).first()
    CrecheCapacity.objects.create(
        establishment=other, age_group=AgeGroup.BABIES, from_date=period.starts_on, places=1
    )
    dossier = waiting(period)
    dossier.creche_choices.create(establishment=other, rank=2)
    outcomes = race(
        monkeypatch,
        lambda: offer(dossier, session, creche, agent=staff(group=roles.CRECHE_AGENTS)),
        lambda: offer(dossier, session, other, agent=staff(group=roles.CRECHE_AGENTS)),
    )
    assert outcomes == ["already_offered", "offered"]
    assert PlaceOffer.objects.count() == 1


def test_the_offer_form_lists_the_familys_creches_in_its_order(client):
    """Issue 16, « Journeys »: measured before, the offer form listed them by name, not by the family's ranking."""
    period, _creche, _session = setting()
    dossier = waiting(period)
    dossier.creche_choices.all().delete()
    first, second, third = period.service.establishments.order_by("-name")  # against the alphabet
    for rank, creche in enumerate((first, second, third), start=1):
        dossier.creche_choices.create(establishment=creche, rank=rank)
    field = PlaceOfferForm(dossier=dossier).fields["establishment"]
    assert list(field.queryset) == [first, second, third]
    assert [label for _value, label in field.choices][1:] == [
        f"Choix n° {rank} : {creche.name}" for rank, creche in enumerate((first, second, third), start=1)
    ]
