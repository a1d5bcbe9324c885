"""tariff_facts_bulk gives exactly tariff_facts' answers, in a number of queries that does not grow with the
dossiers; the set-based recompute and council comparison give what the per-dossier ones gave."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cantine import selectors, services
from cantine.income import services as income_services
from cantine.models import Dossier, DossierMessage, DossierQuote
from cantine.tariffs import council
from cantine.tariffs.bulk_facts import JobStates, chunk_read, tariff_facts_bulk
from impot_client import services as impot_services
from portal.models import Consent
from pricing import parse_grid
from tests.cantine.backoffice import grid_for, submitted, with_income
from tests.cantine.grids import BUBRY, PARIS
from tests.cantine.grids import COLLECTIVE as PSU
from tests.factories import (
    ChildFactory,
    CrecheServiceFactory,
    DossierFactory,
    HouseholdFactory,
    PeriodFactory,
    creche_dossier,
)
from tests.impot_client.conftest import grant, situation_for

pytestmark = pytest.mark.django_db


def varied(period, creche_period):
    """Dossiers in every income state the tariff reads, ranks 1 to 3, a crèche with siblings and an AEEH child."""
    household = HouseholdFactory()
    kids = [ChildFactory(household=household, birth_date=date(2015 + n, 3, 1)) for n in range(3)]
    made = [
        with_income(DossierFactory(child=kid, period=period, income_declined=False), 54000, "3")
        for kid in kids
    ]
    made.append(DossierFactory(period=period))  # declined
    made.append(DossierFactory(period=period, income_declined=False))  # missing
    mismatch = DossierFactory(period=period, income_declined=False)
    impot_services._tax_data_store(
        consent=grant(mismatch),
        situation=situation_for(mismatch.child.household.adults.get(), rfr=1000),
        numero_fiscal="3999990000074",
    )
    made.append(mismatch)
    waiting = DossierFactory(period=period, income_declined=False)
    grant(waiting)
    made.append(waiting)
    crib = creche_dossier(period=creche_period, start=date(2025, 10, 6), siblings=2)
    ChildFactory(household=crib.child.household, has_disability=True)
    made.append(with_income(crib, rfr=36000, parts="2", nb_pac=4))
    made.append(creche_dossier(period=creche_period, start=None, income_declined=True))
    cancelled = DossierFactory(child=kids[0], period=PeriodFactory(service=period.service))
    services.dossier_cancel(dossier=cancelled, user=cancelled.child.household.owner)
    made.append(cancelled)
    return made


def sent(dossier):
    """Sent by the family; one whose income is still open is put in the list as an older dossier would be."""
    if dossier.status != "draft":
        return dossier
    try:
        return submitted(dossier)
    except ValidationError:
        Dossier.objects.filter(pk=dossier.pk).update(status="submitted", submitted_at=timezone.now())
        return Dossier.objects.get(pk=dossier.pk)


@pytest.fixture
def periods():
    period, creche_period = PeriodFactory(), PeriodFactory(service=CrecheServiceFactory())
    grid_for(period, PARIS)
    grid_for(creche_period, PSU)
    return period, creche_period


def test_bulk_facts_are_tariff_facts(periods):
    made = varied(*periods)
    dossiers = chunk_read(Dossier.objects.select_related("child"), [d.pk for d in made])
    bulk = tariff_facts_bulk(dossiers)
    expected = {dossier.pk: selectors.tariff_facts(dossier) for dossier in dossiers}
    assert bulk == expected
    assert {facts.income_source for facts in bulk.values()} >= {"dgfip", "declined", "none"}
    assert {facts.rank for facts in bulk.values()} >= {1, 2, 3}


def test_bulk_facts_of_one_kind_read_only_its_figures_and_give_the_same_answers(
    periods, django_assert_num_queries
):
    """A chunk of canteen dossiers does not read the crèche figures, nor a crèche chunk the QF (encrypted columns
    are decrypted as they are read): the same facts, and no query per dossier to read a figure left out."""
    made = varied(*periods)
    dossiers = chunk_read(Dossier.objects.select_related("child"), [d.pk for d in made])
    for kind in ("canteen", "creche"):
        chunk = [dossier for dossier in dossiers if (dossier.service.kind == "creche") == (kind == "creche")]
        with django_assert_num_queries(6):
            bulk = tariff_facts_bulk(chunk)
        assert bulk == {dossier.pk: selectors.tariff_facts(dossier) for dossier in chunk}


def test_recompute_costs_the_same_queries_for_three_dossiers_or_ten(periods):
    """Each dossier's columns the re-quote reads are read with it (`RECOMPUTE_READS`): none is fetched dossier by
    dossier, the families told of their new tariff included."""
    period, creche_period = periods
    made = [sent(dossier) for dossier in varied(period, creche_period)]
    canteen = [
        dossier.pk for dossier in made if dossier.period_id == period.pk and dossier.status == "submitted"
    ]
    services.quotes_recompute(dossier_ids=canteen)
    services.tariff_grid_activate(grid=grid_for(period, BUBRY, version=2, is_active=False))
    services.quotes_recompute(
        dossier_ids=canteen[:1]
    )  # both runs below find a quote unchanged and others changed
    told = DossierMessage.objects.filter(kind=DossierMessage.Kind.TARIFF_CHANGED)
    counts = []
    for pks in (canteen[:3], canteen):
        before = told.count()
        with CaptureQueriesContext(connection) as queries:
            services.quotes_recompute(dossier_ids=pks)
        assert told.count() > before  # families told: the messages' reads are counted too
        counts.append(len(queries))
    assert len(canteen) > 3 and counts[0] == counts[1]


def test_bulk_facts_cost_six_queries_whatever_the_dossiers(periods, django_assert_num_queries):
    """States, tax figures, CAF/MSA figures, children, the grids in force, the ranks."""
    made = varied(*periods)
    dossiers = chunk_read(Dossier.objects.select_related("child"), [d.pk for d in made])
    with django_assert_num_queries(6):
        tariff_facts_bulk(dossiers)
    with django_assert_num_queries(6):
        tariff_facts_bulk(dossiers[:2])


def test_recompute_quotes_gives_the_per_dossier_quotes_and_messages(periods):
    period, creche_period = periods
    made = [sent(dossier) for dossier in varied(period, creche_period)]
    billed = [dossier for dossier in made if dossier.status == "submitted"]
    for dossier in billed:  # what the per-dossier service stores
        services.dossier_quote_compute(dossier=dossier)
    expected = {
        q.dossier_id: (q.amount, q.unit, q.income_source, q.qf, q.criteria, q.explanation)
        for q in DossierQuote.objects.all()
    }
    new_grid = grid_for(period, BUBRY, version=2, is_active=False)
    services.tariff_grid_activate(grid=new_grid)
    DossierQuote.objects.filter(dossier__period=period).first().delete()  # one dossier not quoted yet
    messages = DossierMessage.objects.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).count()
    computed = dict(
        DossierQuote.objects.filter(dossier__period=creche_period).values_list("pk", "computed_at")
    )
    call_command("recompute_quotes", period=period.pk, stdout=StringIO())
    call_command("recompute_quotes", period=creche_period.pk, stdout=StringIO())
    canteen = DossierQuote.objects.filter(dossier__period=period)
    assert canteen.count() == sum(1 for d in billed if d.period_id == period.pk)
    assert set(canteen.values_list("grid", flat=True)) == {new_grid.pk}
    assert {
        q.dossier_id: (q.amount, q.unit, q.income_source, q.qf, q.criteria, q.explanation)
        for q in DossierQuote.objects.filter(dossier__period=creche_period)
    } == {
        pk: value
        for pk, value in expected.items()
        if Dossier.objects.get(pk=pk).period_id == creche_period.pk
    }
    # The crèche's quotes come out the same (nothing rewritten) and say they were computed again.
    again = dict(DossierQuote.objects.filter(dossier__period=creche_period).values_list("pk", "computed_at"))
    assert again.keys() == computed.keys() and all(again[pk] > computed[pk] for pk in computed)
    for quote in canteen.select_related(
        "dossier"
    ):  # the same as the per-dossier computation with the new grid
        again = services.dossier_quote_compute(dossier=quote.dossier)
        assert (again.amount, again.qf, again.criteria, again.explanation) == (
            quote.amount,
            quote.qf,
            quote.criteria,
            quote.explanation,
        )
    changed = DossierMessage.objects.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).count() - messages
    assert changed > 0  # families whose billed amount changed are told


def test_the_council_comparison_counts_as_before(periods):
    period, creche_period = periods
    for dossier in varied(period, creche_period):
        sent(dossier)
    grid = selectors.active_grid(period)
    comparison = council.compare(grid, parse_grid(BUBRY))
    assert (
        comparison.dossiers
        == Dossier.objects.filter(period=period, status__in=council.CURRENT_STATUSES).count()
    )
    assert comparison.priced == comparison.dossiers and comparison.revenue_after > Decimal(0)
    assert sum(comparison.before.values()) == sum(comparison.after.values()) == comparison.dossiers


@pytest.mark.parametrize(
    "stale",
    [
        {"qf": Decimal("1.00")},
        {"explanation": ["Un ancien calcul."]},
        {"criteria": {"bracket": 0}},
        {"unit": "day"},
    ],
)
def test_a_quote_that_differs_in_any_field_is_written_again(periods, stale):
    """Unchanged quotes are not rewritten: one that differs from the engine's answer, in a plain or an encrypted
    field, is."""
    period, _creche_period = periods
    dossier = sent(with_income(DossierFactory(period=period, income_declined=False), 54000, "3"))
    services.quotes_recompute(dossier_ids=[dossier.pk])
    quote = DossierQuote.objects.get(dossier=dossier)
    expected = (quote.amount, quote.unit, quote.qf, quote.explanation, quote.criteria)
    for name, value in stale.items():
        setattr(quote, name, value)
    quote.save()
    services.quotes_recompute(dossier_ids=[dossier.pk])
    quote.refresh_from_db()
    assert (quote.amount, quote.unit, quote.qf, quote.explanation, quote.criteria) == expected


def test_a_job_reads_the_states_once_and_again_only_for_the_families_who_answer_meanwhile(periods):
    """JobStates: the states of a job's dossiers read when it starts; a family that answers while the job runs
    (here it withdraws its authorisation) is quoted on its answer of the moment, and the other dossiers' states are
    not read again chunk by chunk."""
    period, _creche_period = periods
    answering = with_income(DossierFactory(period=period, income_declined=False), 54000, "3")
    quiet = DossierFactory(period=period)  # declined a month ago
    Consent.objects.filter(dossier=quiet).update(given_at=timezone.now() - timedelta(days=30))
    states = JobStates(Dossier.objects.filter(pk__in=[answering.pk, quiet.pk]))
    assert states.states == {answering.pk: "obtained", quiet.pk: "declined"}
    income_services.consent_withdraw(
        user=answering.child.household.owner, consent=Consent.objects.get(dossier=answering)
    )
    states.states[quiet.pk] = "read once"  # read again, it would be « declined »
    assert states.for_chunk([answering.pk, quiet.pk]) == {answering.pk: "withdrawn", quiet.pk: "read once"}
    assert (
        tariff_facts_bulk(
            chunk_read(Dossier.objects.all(), [answering.pk]), states=states.for_chunk([answering.pk])
        )[answering.pk].income_source
        == "withdrawn"
    )
