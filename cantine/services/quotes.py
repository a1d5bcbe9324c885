"""Writes on tariffs: the grids agents deliberate, each dossier's quote (computed, overridden, erased with the
income it used), and the audited look at the fiscal data behind it."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import pricing
from cantine import contracts, notifications, roles, selectors, workflow
from cantine.models import (
    CrecheContract,
    Dossier,
    DossierMessage,
    DossierQuote,
    FamilyBenefitData,
    Period,
    TariffGrid,
)
from cantine.tariffs.bulk_facts import FACTS_READS, JobStates, chunk_read, tariff_facts_bulk
from cantine.tariffs.errors import as_validation_error
from impot_client.models import TaxData
from portal import formats
from portal.audit import audit_record
from portal.models import AuditEntry
from portal.sql import keys_among
from portal.versions import version_activate, version_save
from pricing import words


@transaction.atomic
def tariff_grid_save(
    *, period: Period, data: dict, label: str, agent, grid: TariffGrid | None = None, ip: str | None = None
) -> TariffGrid:
    """Save a grid. A version no quote uses yet is updated in place; one a quote uses is left as it is and the
    change becomes a new version (in force if the old one was), so every quote keeps the grid it came from."""
    with as_validation_error():  # French messages, keyed by field
        pricing.parse_grid(data)
    saved = version_save(
        versions=TariffGrid.objects.filter(period=period),
        edited=grid,
        changes={"data": data, "label": label},
        agent=agent,
        period=period,
    )
    _audit_grid(saved, agent=agent, ip=ip, change="saved")
    return saved


@transaction.atomic
def tariff_grid_activate(*, grid: TariffGrid, agent=None, ip: str | None = None) -> TariffGrid:
    """Put a version in force for its period. Quotes already computed keep theirs until recomputed."""
    version_activate(versions=TariffGrid.objects.filter(period=grid.period), version=grid)
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
def dossier_quote_compute(*, dossier: Dossier, agent=None, ip: str | None = None) -> DossierQuote | None:
    """Compute and store the dossier's tariff with the grid in force; None when the period has no grid yet, and
    for a dossier not billed (a draft, a closed one: never quoted again, whoever asks). Called when the family sends
    the dossier, then only by an explicit agent action (`agent`, audited) or command. An agent's override stays;
    the family is told when the amount it is billed changes."""
    if dossier.status in workflow.NOT_BILLED:
        return None
    grid = selectors.active_grid(dossier.period)
    if grid is None:
        return None
    previous = DossierQuote.objects.select_for_update().filter(dossier=dossier).first()
    quote = _quote_store(dossier=dossier, grid=grid, agent=agent)
    if agent is not None:
        audit_record(
            actor=agent,
            action=AuditEntry.Action.RECOMPUTED_TARIFF,
            dossier=dossier,
            ip=ip,
            grid_version=grid.version,
        )
    if previous is not None and quote.final_amount != previous.final_amount:
        notifications.dossier_notify(
            dossier=dossier, kind=DossierMessage.Kind.TARIFF_CHANGED, **notifications.tariff_changed(quote)
        )
    return quote


@transaction.atomic
def dossier_children_count(*, dossier: Dossier, agent, ip: str | None = None) -> DossierQuote | None:
    """The agent checked the children the family added after sending its crèche dossier: they count from now on
    and the rate is quoted again (one audit row: the re-quote, naming the children counted). Until then, a child
    added changed nothing (cantine.selectors.children_counted)."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    added = list(selectors.children_added_since_counted(dossier))
    if not added:
        raise ValidationError(
            _("Aucun enfant n'a été ajouté au foyer depuis l'envoi de la demande."), code="none_added"
        )
    dossier.children_counted_at = timezone.now()
    dossier.save(update_fields=["children_counted_at"])
    quote = dossier_quote_compute(dossier=dossier)
    audit_record(
        actor=agent,
        action=AuditEntry.Action.RECOMPUTED_TARIFF,
        dossier=dossier,
        ip=ip,
        children_counted=[child.pk for child in added],
        grid_version=quote.grid.version if quote is not None else None,
    )
    return quote


def _quote_store(*, dossier: Dossier, grid: TariffGrid, agent=None, erased_at=None) -> DossierQuote:
    """The engine's quote for the dossier's tariff facts today, stored over the previous one (its override kept).
    `erased_at`: the figures it replaces were erased then (kept only when the new quote quotes none)."""
    with as_validation_error():
        parsed = pricing.parse_grid(grid.data)
    facts = selectors.tariff_facts(dossier, parsed)
    bareme = selectors.psu_bareme() if grid.kind == "psu" else None
    with as_validation_error():
        result = pricing.quote(parsed, facts, bareme=bareme)
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
            "computed_by": agent,
            "income_erased_at": None if facts.income_source in pricing.WITH_FIGURES else erased_at,
        },
    )
    return quote


# Dossiers re-quoted per transaction by quotes_recompute: read in a few queries, written by upserts of
# RECOMPUTE_BATCH rows. The income states are read once for the whole job (bulk_facts.JobStates: PostgreSQL hashes
# the consents once per query, 3.3 s for 100 000 dossiers read 5 000 at a time against 0.35 s at once).
RECOMPUTE_CHUNK = 5000
RECOMPUTE_BATCH = 1000
# What the facts and the quote read of each dossier: the other columns of the dossier and of its child, household and
# owner, and a service and a period joined to every row, took half of the reading time (3.4 s of 7 s over 51 613
# dossiers). The message to the family reads the owner's address, annotated (notifications.OWNER_EMAIL): the
# household and the account built for each row took another 2 s.
RECOMPUTE_READS = (*FACTS_READS, "status")
QUOTE_FIELDS = [
    "grid",
    "amount",
    "unit",
    "income_source",
    "qf",
    "explanation",
    "criteria",
    "computed_at",
    "computed_by",
    "income_erased_at",
]


def quotes_recompute(
    *, period: Period | None = None, dossier_ids=None, agent=None, ip: str | None = None, progress=None
) -> int:
    """dossier_quote_compute for every billed dossier of the period (or of `dossier_ids`, over any periods),
    set-based: the facts of RECOMPUTE_CHUNK dossiers in a few queries (cantine.tariffs.bulk_facts), the engine in a
    tight loop, the quotes written by upserts (bulk_create with update_conflicts), one transaction per chunk. Same
    quotes, overrides kept, the same audit rows and messages when the amount billed changes. `progress(done,
    total)` is called after each chunk. Returns the number of quotes computed (none where the period has no grid in
    force)."""
    dossiers = Dossier.objects.exclude(status__in=workflow.NOT_BILLED)
    if period is not None:
        dossiers = dossiers.filter(period=period)
    if dossier_ids is not None:
        dossiers = dossiers.filter(pk__in=dossier_ids)
    dossiers = (
        dossiers.only(*RECOMPUTE_READS)
        .annotate(**{notifications.OWNER_EMAIL: F("child__household__owner__email")})
        .order_by("pk")
    )
    by_period = {}
    for pk, period_id in dossiers.values_list("pk", "period"):
        by_period.setdefault(period_id, []).append(pk)
    total, done = sum(map(len, by_period.values())), 0
    states = JobStates(dossiers)
    with words.batch():  # one language throughout: the engine's words translated once
        for period_id, pks in by_period.items():
            grid = TariffGrid.objects.filter(period=period_id, is_active=True).first()
            if grid is None:
                continue
            with as_validation_error():
                parsed = pricing.parse_grid(grid.data)
            bareme = selectors.psu_bareme() if grid.kind == "psu" else None
            for start in range(0, len(pks), RECOMPUTE_CHUNK):
                chunk = chunk_read(dossiers, pks[start : start + RECOMPUTE_CHUNK])
                done += _quotes_recompute_chunk(
                    chunk, grid=grid, parsed=parsed, bareme=bareme, states=states, agent=agent, ip=ip
                )
                if progress is not None:
                    progress(done, total)
    return done


@transaction.atomic
def _quotes_recompute_chunk(dossiers, *, grid, parsed, bareme, states, agent, ip) -> int:
    """One chunk: the previous quotes read as plain columns, their encrypted ones as tokens, decrypted only where
    all the rest is the same; a quote the engine gives again unchanged only gets its computed_at and computed_by (one
    UPDATE), the others are written by one upsert per batch (INSERT … ON CONFLICT (dossier) DO UPDATE: no CASE per
    row as bulk_update writes), the override columns left out of it so an agent's override stays."""
    facts = tariff_facts_bulk(dossiers, parsed, states.for_chunk([dossier.pk for dossier in dossiers]))
    previous = {
        row["dossier_id"]: row
        for row in DossierQuote.objects.select_for_update()
        .filter(dossier__in=keys_among([d.pk for d in dossiers]))
        .values(
            "dossier_id",
            "grid_id",
            "amount",
            "unit",
            "income_source",
            "income_erased_at",
            "overridden_amount",
            "override_justification",
            # Only a quote of this grid can be given again unchanged: the others' tokens are not even sent.
            **{
                f"{name}_token": models.Case(
                    models.When(grid=grid, then=Cast(name, models.TextField())),
                    output_field=models.TextField(),
                )
                for name in ENCRYPTED_QUOTE_FIELDS
            },
        )
    }
    now = timezone.now()
    quotes, unchanged, changed = [], [], []
    for dossier in dossiers:
        dossier_facts = facts[dossier.pk]
        with as_validation_error():
            result = pricing.quote(parsed, dossier_facts, bareme=bareme)
        quote = DossierQuote(  # by keys: the related objects' descriptors cost a tenth of building each quote
            dossier_id=dossier.pk,
            grid_id=grid.pk,
            amount=result.amount,
            unit=result.unit,
            income_source=dossier_facts.income_source,
            qf=result.qf,
            explanation=list(result.explanation),
            criteria={name: value for name, value in result.criteria.items() if name != "qf"},
            computed_at=now,
            computed_by_id=agent.pk if agent is not None else None,
            income_erased_at=None,
        )
        before = previous.get(dossier.pk)
        if before is not None and _quote_unchanged(before, quote):
            unchanged.append(dossier.pk)
            continue
        quotes.append(quote)
        if before is not None:
            quote.overridden_amount = before["overridden_amount"]
            quote.override_justification = before["override_justification"]
            billed = quote.overridden_amount if quote.overridden_amount is not None else before["amount"]
            if quote.final_amount != billed:
                changed.append((dossier, quote))
    if unchanged:
        DossierQuote.objects.filter(dossier__in=keys_among(unchanged)).update(
            computed_at=now, computed_by=agent
        )
    DossierQuote.objects.bulk_create(
        quotes,
        batch_size=RECOMPUTE_BATCH,
        update_conflicts=True,
        unique_fields=["dossier"],
        update_fields=QUOTE_FIELDS,
    )
    if agent is not None:  # as audit_record writes them, one per dossier
        AuditEntry.objects.bulk_create(
            (
                AuditEntry(
                    actor=agent,
                    action=AuditEntry.Action.RECOMPUTED_TARIFF,
                    dossier=dossier,
                    ip_address=ip,
                    detail={"grid_version": grid.version},
                )
                for dossier in dossiers
            ),
            batch_size=RECOMPUTE_BATCH,
        )
    notifications.dossiers_notify(
        kind=DossierMessage.Kind.TARIFF_CHANGED,
        notices=[(dossier, notifications.tariff_changed(quote)) for dossier, quote in changed],
    )
    return len(dossiers)


ENCRYPTED_QUOTE_FIELDS = ("qf", "explanation", "criteria")


def _quote_unchanged(before: dict, quote: DossierQuote) -> bool:
    """The stored quote (a row of _quotes_recompute_chunk's read) says what `quote` says: the plain columns
    compared first, the encrypted ones decrypted only then."""
    if (
        before["grid_id"] != quote.grid_id
        or before["amount"] != quote.amount
        or before["unit"] != quote.unit
        or before["income_source"] != quote.income_source
        or before["income_erased_at"] is not None
    ):
        return False
    return all(
        DossierQuote._meta.get_field(name).to_python(before[f"{name}_token"]) == getattr(quote, name)
        for name in ENCRYPTED_QUOTE_FIELDS
    )


class IncomeErasure(models.TextChoices):
    """Why a dossier's tax data went, and with it every figure derived from it."""

    WITHDRAWN = "withdrawn", gettext_lazy("accord retiré par la famille")
    RETENTION = "retention", gettext_lazy("durée de conservation écoulée")
    ERASED = "erased", gettext_lazy("compte effacé à la demande de la famille")


@transaction.atomic
def dossier_income_erase(*, dossier: Dossier, reason: str) -> DossierQuote | None:
    """The dossier's tax data has just gone (the income step's withdrawal and retention purge call this): every figure
    derived from it goes too (QF, PSU resources, children in charge, the explanations quoting them). Returns the
    quote left, if any.

    On withdrawal the tariff becomes what the consent page promised: recomputed from what is left, that is the
    highest, or waiting for the agent when a tax notice is sent (a dossier not sent loses its quote); an agent's
    override stays, being the amount billed and justified. At the retention's end the period is long over: the
    tariff billed stays, its figures go. A crèche contract keeps its hourly rate and fee, which the family signed and
    pays, and loses the lines of its computation, in its frozen document too."""
    now = timezone.now()
    quote = DossierQuote.objects.select_for_update().filter(dossier=dossier).first()
    dossiers = Dossier.objects.filter(pk=dossier.pk)
    if quote is not None and reason == IncomeErasure.WITHDRAWN:
        if dossier.status in workflow.NOT_BILLED:  # their quote goes with the figures it came from
            quote.delete()
            quote = None
        else:
            quote = _quote_store(dossier=dossier, grid=quote.grid, erased_at=now)
        _contracts_figures_erase(dossiers, reason=reason, now=now)
        return quote
    if dossiers_income_figures_erase(dossiers=dossiers, reason=reason, now=now)[0]:
        quote.refresh_from_db()
    return quote


# Quotes and contracts whose figures go per query and per write (the retention purge erases tens of thousands).
ERASE_CHUNK = 2000


@transaction.atomic
def dossiers_income_figures_erase(*, dossiers, reason: str, now=None) -> tuple[int, int]:
    """The figures derived from the erased income of `dossiers` (a queryset), set-based: their quotes keep the tariff
    and lose the QF, the income criteria and the explanation (a line saying what was computed, and when and why it
    went), their crèche contracts the lines of their computation. Quotes and contracts erased already are left as
    they are. Returns (quotes, contracts) erased."""
    now = now or timezone.now()
    quotes = DossierQuote.objects.filter(
        dossier__in=dossiers, income_erased_at=None, income_source__in=pricing.WITH_FIGURES
    ).defer("qf", "explanation")  # replaced, never read: never decrypted
    day, words = timezone.localdate(now).strftime("%d/%m/%Y"), IncomeErasure(reason).label
    erased = []
    for quote in quotes.select_for_update().order_by("pk").iterator(chunk_size=ERASE_CHUNK):
        quote.qf = None
        quote.criteria = {
            name: value for name, value in quote.criteria.items() if name not in pricing.INCOME_CRITERIA
        }
        quote.explanation = [
            _(
                "Les revenus qui ont servi à ce calcul ont été effacés le %(day)s (%(reason)s) : le tarif calculé "
                "était de %(price)s %(unit)s."
            )
            % {"day": day, "reason": words, "price": formats.euros(quote.amount), "unit": quote.unit_label}
        ]
        quote.income_erased_at = now
        erased.append(quote)
    _rows_rewrite(DossierQuote, erased, ["qf", "criteria", "explanation", "income_erased_at"])
    return len(erased), _contracts_figures_erase(dossiers, reason=reason, now=now)


def _contracts_figures_erase(dossiers, *, reason: str, now) -> int:
    pending = CrecheContract.objects.filter(dossier__in=dossiers, income_erased_at=None).defer("explanation")
    day, words = timezone.localdate(now).strftime("%d/%m/%Y"), IncomeErasure(reason).label
    erased = []
    for contract in pending.select_for_update().order_by("pk").iterator(chunk_size=ERASE_CHUNK):
        contract.explanation = [
            _(
                "Le détail du calcul, qui citait les revenus du foyer, a été effacé le %(day)s (%(reason)s). Le "
                "tarif horaire et la mensualité sont ceux du contrat."
            )
            % {"day": day, "reason": words},
            pricing.monthly_fee_line(
                hours=contract.hours_per_week,
                weeks=contract.weeks_per_year,
                months=contract.months_billed,
                hourly=contract.hourly_rate,
                monthly=contract.monthly_fee,
            ),
        ]
        contract.document = contracts.document_with_calculation(contract.document, contract.explanation)
        contract.income_erased_at = now
        erased.append(contract)
    _rows_rewrite(CrecheContract, erased, ["explanation", "document", "income_erased_at"])
    return len(erased)


def _rows_rewrite(model, rows, fields) -> None:
    """Write `fields` of rows read whole, ERASE_CHUNK at a time, as one INSERT … ON CONFLICT (id) DO UPDATE each:
    bulk_update's CASE per row and field costs more in Python and in PostgreSQL than the rows themselves."""
    model.objects.bulk_create(
        rows, batch_size=ERASE_CHUNK, update_conflicts=True, unique_fields=["id"], update_fields=fields
    )


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
    notifications.dossier_notify(
        dossier=quote.dossier, kind=DossierMessage.Kind.TARIFF_CHANGED, **notifications.tariff_changed(quote)
    )
    return quote


@dataclass(frozen=True)
class FiscalData:
    """What a dossier tells about the household's income: the tax figures, and the QF and explanation of the
    tariff, which quote them."""

    tax_data: TaxData | None
    qf: Decimal | None
    explanation: list[str]
    benefit_data: FamilyBenefitData | None = None  # the CAF's or the MSA's figures


@transaction.atomic
def fiscal_data_view(*, dossier: Dossier, agent, ip: str | None = None) -> FiscalData | None:
    """The dossier's income figures for a user with cantine.view_fiscal_data, each look written to the audit log;
    None for anyone else, who sees the tariff and its source, not the amounts."""
    if not roles.can_view_fiscal_data(agent):
        return None
    tax_data = TaxData.objects.filter(dossier=dossier).select_related("checked_by").first()
    benefit_data = FamilyBenefitData.objects.filter(dossier=dossier).select_related("confirmed_by").first()
    quote = DossierQuote.objects.filter(dossier=dossier).first()
    if tax_data is None and benefit_data is None and quote is None:
        return FiscalData(tax_data=None, qf=None, explanation=[])
    audit_record(actor=agent, action=AuditEntry.Action.VIEWED_FISCAL_DATA, dossier=dossier, ip=ip)
    return FiscalData(
        tax_data=tax_data,
        benefit_data=benefit_data,
        qf=quote.qf if quote else None,
        explanation=list(quote.explanation) if quote else [],
    )
