"""The tariff facts of many dossiers at once, for the batch jobs (recompute_quotes, the council comparison): the same
Facts as cantine.selectors.tariff_facts gives one dossier, read in a few queries per chunk of dossiers instead of
about ten per dossier. tests/cantine/tariffs/test_bulk_facts.py holds the two to the same answers."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from cantine.income.selectors import grid_income_order, income_state
from cantine.models import Dossier, FamilyBenefitData, Period, Service, TariffGrid
from cantine.selectors import children_counted, facts_of
from impot_client.models import TaxData
from portal.models import Child, Consent
from portal.sql import keys_among
from pricing import Facts

NOT_RANKED = (Dossier.Status.CANCELLED, Dossier.Status.REJECTED)
# The columns of each dossier that tariff_facts_bulk reads, its household, service and period being attached by
# chunk_read: what a batch job passes to `.only()` with its own, so that the rest is neither read nor turned into
# Python.
FACTS_READS = ("creche_start_date", "children_counted_at", "child", "service", "period")
HOUSEHOLD = "household_key"  # the child's household, as chunk_read annotates it


def chunk_read(dossiers, pks) -> list:
    """The dossiers of `dossiers` (a queryset) whose keys are `pks`, bound as one parameter, each with its child's
    household as a column (HOUSEHOLD: a Child built per dossier for its one key was a tenth of the council
    comparison), and its service and period from their few rows read once: joined, they cost a Service and a Period
    built per dossier."""
    chunk = list(dossiers.filter(pk__in=keys_among(pks)).annotate(**{HOUSEHOLD: F("child__household_id")}))
    services = Service.objects.in_bulk({dossier.service_id for dossier in chunk})
    periods = Period.objects.in_bulk({dossier.period_id for dossier in chunk})
    for dossier in chunk:
        dossier.service, dossier.period = services[dossier.service_id], periods[dossier.period_id]
    return chunk


def income_states(dossiers) -> dict[int, str]:
    """{pk: income state} of every dossier of `dossiers` (a queryset), in one query. Its hashed subplans scan the
    consents and figures once per query, whatever the dossiers: 0.35 s for the bench's 100 000 dossiers at once,
    3.3 s for them read 5 000 at a time. A batch job reads them once, before its chunks."""
    return dict(dossiers.annotate(income_state=income_state()).order_by().values_list("pk", "income_state"))


# Longer than any transaction that writes a consent takes to commit: a consent whose time was taken before a job read
# the states, and committed after, is still found by JobStates.for_chunk.
CONSENT_COMMIT_MARGIN = timedelta(minutes=5)


class JobStates:
    """The income states of a job's dossiers, read once when the job starts (income_states), and kept true while it
    runs: for each chunk, those of the dossiers whose family has answered since (a consent given, withdrawn, or the
    CAF found to know no file) are read again. The facts use the state only where no figures are usable, and there
    it is the consents' word (declined, withdrawn, none): a chunk quoted minutes after the start quotes each dossier
    on the family's answer of the moment, as reading the states chunk by chunk did."""

    def __init__(self, dossiers):
        self.since = timezone.now() - CONSENT_COMMIT_MARGIN
        self.states = income_states(dossiers)

    def for_chunk(self, pks) -> dict[int, str]:
        answered = Consent.objects.filter(dossier__in=keys_among(pks)).filter(
            Q(given_at__gte=self.since) | Q(withdrawn_at__gte=self.since) | Q(not_found_at__gte=self.since)
        )
        self.states.update(income_states(Dossier.objects.filter(pk__in=answered.values("dossier"))))
        return self.states


def _ranks(dossiers) -> dict[int, int]:
    """child_rank for each dossier: its child's place among the household's children enrolled in the same service
    and period (not cancelled nor rejected), eldest first; one past the last when the child is not among them."""
    households = {getattr(dossier, HOUSEHOLD) for dossier in dossiers}
    keys = {(dossier.service_id, dossier.period_id) for dossier in dossiers}
    enrolled = defaultdict(list)  # (household, service, period) → child ids, eldest first, once each
    rows = (
        Dossier.objects.filter(
            child__household__in=keys_among(households), period__in={period for _s, period in keys}
        )
        .exclude(status__in=NOT_RANKED)
        .order_by("child__birth_date", "child_id")
        .values_list("child__household_id", "service_id", "period_id", "child_id")
    )
    for household, service, period, child in rows:
        children = enrolled[household, service, period]
        if child not in children:
            children.append(child)
    ranks = {}
    for dossier in dossiers:
        children = enrolled.get((getattr(dossier, HOUSEHOLD), dossier.service_id, dossier.period_id), [])
        ranks[dossier.pk] = (
            children.index(dossier.child_id) + 1 if dossier.child_id in children else len(children) + 1
        )
    return ranks


def tariff_facts_bulk(dossiers, grid=None, states=None) -> dict[int, Facts]:
    """{dossier pk: Facts} for `dossiers` (a list of Dossier as chunk_read gives them: household, service and
    period at hand): a few queries whatever their number. `grid` (parsed): the one to quote on, else each period's
    grid in force (its income order read once per period). Callers pass chunks (a few thousand) of a large set, and
    `states`, the income states of the whole set read beforehand (income_states, JobStates), else read for the
    chunk."""
    dossiers = list(dossiers)
    if not dossiers:
        return {}
    pks = [dossier.pk for dossier in dossiers]
    if states is None:
        states = income_states(Dossier.objects.filter(pk__in=keys_among(pks)))
    # Encrypted columns are decrypted as they are read: those the chunk's facts never use are not read (the keys of
    # the declarants and allocataires and the numéro fiscal never, a crèche's figures for canteen dossiers, the QF
    # for crèche ones).
    tax_unread, benefit_unread = ["numero_fiscal", "declarant_keys"], ["allocataire_keys"]
    creche = {dossier.service.kind == Service.Kind.CRECHE for dossier in dossiers}
    if True not in creche:
        tax_unread.append("nb_pac")
        benefit_unread += ["annual_resources", "children", "aeeh_children"]
    if False not in creche:
        benefit_unread.append("qf")
    tax_data = {
        data.dossier_id: data
        for data in TaxData.objects.filter(dossier__in=keys_among(pks)).defer(*tax_unread)
    }
    benefits = {
        data.dossier_id: data
        for data in FamilyBenefitData.objects.filter(dossier__in=keys_among(pks)).defer(*benefit_unread)
    }
    children = defaultdict(list)  # household → (added_at, has_disability) of each child
    for household, added, disabled in Child.objects.filter(
        household__in=keys_among({getattr(dossier, HOUSEHOLD) for dossier in dossiers})
    ).values_list("household_id", "added_at", "has_disability"):
        children[household].append((added, disabled))
    in_force = (
        {}
        if grid is not None
        else {
            row.period_id: row
            for row in TariffGrid.objects.filter(period__in={d.period_id for d in dossiers}, is_active=True)
        }
    )
    ranks = _ranks(dossiers)
    facts = {}
    for dossier in dossiers:
        order = (
            grid.income
            if grid is not None
            else grid_income_order(in_force.get(dossier.period_id), dossier.service.kind)
        )
        counted, aeeh = children_counted(children[getattr(dossier, HOUSEHOLD)], dossier.children_counted_at)
        facts[dossier.pk] = facts_of(
            order=order,
            state=states[dossier.pk],
            tax_data=tax_data.get(dossier.pk),
            benefit=benefits.get(dossier.pk),
            creche=dossier.service.kind == Service.Kind.CRECHE,
            rank=ranks[dossier.pk],
            on=dossier.creche_start_date or dossier.period.starts_on,
            children=counted,
            aeeh=aeeh,
        )
    return facts
