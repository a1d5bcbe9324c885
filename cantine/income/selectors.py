"""Reads on a dossier's income data: what the family chose, and what the tariff can use."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

import pricing
from cantine import roles
from cantine.models import Dossier, FamilyBenefitData, Service, TariffGrid
from impot_client.models import TaxData, TaxNotice
from portal.models import Consent

# The states in which figures wait for an agent to confirm the declarants (DGFiP) or the allocataires (CAF/MSA).
DECLARANTS_TO_CHECK = ("to_confirm", "mismatch", "caf_to_confirm", "caf_mismatch")
DGFIP, CAF = Consent.Source.DGFIP, Consent.Source.API_PARTICULIER


@dataclass(frozen=True)
class IncomeStatus:
    """Where a dossier stands on income. `state` is one of:
    missing       the family has not answered the consent page yet
    waiting       consent given, no figures yet (the lookup failed or was interrupted)
    caf_obtained  figures from the CAF or the MSA (API Particulier), usable for the tariff
    caf_to_confirm  CAF/MSA figures found by a local account's identity: an agent confirms the allocataires first
    caf_mismatch  CAF/MSA figures whose allocataires are not the household's adults, or without the enrolled child
    caf_not_found the CAF and the MSA know no file for the holder, and the grid has no other API source: a notice,
                  or the highest tariff
    obtained      figures from DGFiP, usable for the tariff
    to_confirm    figures by numéro fiscal whose declarants match: an agent confirms them before the tariff uses them
    mismatch      figures from DGFiP whose declarants are not the household's: an agent must check
    notice        a tax notice waits for an agent
    checked       figures typed by an agent from a notice
    declined      the family chose not to share its income (highest tariff)
    withdrawn     the family withdrew its authorisation: figures erased (highest tariff)
    """

    state: str
    consent: Consent | None  # the live DGFiP answer
    tax_data: TaxData | None
    notices: tuple[TaxNotice, ...]
    benefit_consent: Consent | None = None  # the live CAF/MSA answer
    benefit_data: FamilyBenefitData | None = None

    LABELS = {
        "missing": _("pas encore de réponse de la famille"),
        "waiting": _("accord donné, revenus non transmis"),
        "caf_obtained": _("transmis par la CAF ou la MSA"),
        "caf_to_confirm": _("données CAF/MSA reçues, en attente de vérification par un agent"),
        "caf_mismatch": _("allocataires ou enfant différents du foyer : à vérifier"),
        "caf_not_found": _("inconnus de la CAF et de la MSA (avis d'imposition ou tarif le plus élevé)"),
        "obtained": _("transmis par la DGFiP"),
        "to_confirm": _("revenus reçus, en attente de vérification par un agent"),
        "mismatch": _("déclarants différents du foyer : à vérifier"),
        "notice": _("avis d'imposition à vérifier"),
        "checked": _("saisis depuis un avis vérifié"),
        "declined": _("non communiqués (tarif le plus élevé)"),
        "withdrawn": _("accord retiré par la famille, revenus effacés (tarif le plus élevé)"),
    }

    @property
    def label(self) -> str:
        return str(self.LABELS[self.state])

    @property
    def settled(self) -> bool:
        """The family has given the commune a way to set the tariff (or refused to): it may send the dossier."""
        return self.state not in ("missing", "waiting", "withdrawn")

    @property
    def needs_agent(self) -> bool:
        return self.state in (*DECLARANTS_TO_CHECK, "notice")

    @property
    def family_sees_figures(self) -> bool:
        """Whether the family's pages may show the figures, and the QF and explanation that quote them."""
        return (self.tax_data is None or self.tax_data.shown_to_family) and (
            self.benefit_data is None or self.benefit_data.shown_to_family
        )


def _grid_proposes_dgfip() -> Q:
    """The period's grid in force is deliberated on the DGFiP QF (a canteen grid that does not say is; a crèche
    grid never is)."""
    return Q(data__income__icontains="dgfip") | Q(data__income__isnull=True) & ~Q(data__kind="psu")


def dgfip_proposed() -> Exists:
    active = TariffGrid.objects.filter(period=OuterRef("period"), is_active=True)
    return Exists(active.filter(_grid_proposes_dgfip())) | (
        ~Exists(active) & ~Q(service__kind=Service.Kind.CRECHE)
    )


def income_order(dossier) -> tuple[str, ...]:
    """The income sources the dossier's grid is deliberated on, in the commune's order (pricing.INCOME_KEYS); the
    kind's default when the period has no grid in force yet."""
    grid = TariffGrid.objects.filter(period=dossier.period, is_active=True).first()
    return grid_income_order(grid, dossier.service.kind)


def grid_income_order(grid, service_kind: str) -> tuple[str, ...]:
    """income_order from the period's grid in force (a TariffGrid row, or None), already at hand."""
    if grid is not None:
        try:
            return pricing.parse_grid(grid.data).income
        except pricing.GridError:
            pass
    kind = "psu" if service_kind == Service.Kind.CRECHE else "brackets"
    return pricing.INCOME_DEFAULTS[kind]


def income_state() -> Case:
    """IncomeStatus.state as an expression on dossiers: the one definition of the states, which the family's pages
    (income_status) and the agents' list, its flags and filters (cantine.admin.review and cantine.admin.filters) all read."""
    dossier = OuterRef("pk")
    tax_data = TaxData.objects.filter(dossier=dossier)
    awaiting = tax_data_awaiting_agent().filter(dossier=dossier)
    consents = Consent.objects.filter(dossier=dossier)
    live = consents.filter(source=DGFIP, withdrawn_at__isnull=True)
    notice_to_check = TaxNotice.objects.filter(dossier=dossier, status=TaxNotice.Status.TO_CHECK)
    ever_granted = consents.filter(source=DGFIP, decision=Consent.Decision.GRANTED)
    benefit = FamilyBenefitData.objects.filter(dossier=dossier)
    benefit_awaiting = benefit_data_awaiting_agent().filter(dossier=dossier)
    caf_live = consents.filter(source=CAF, withdrawn_at__isnull=True)
    caf_refused = caf_live.filter(decision=Consent.Decision.REFUSED)
    caf_not_found = caf_live.filter(decision=Consent.Decision.GRANTED, not_found_at__isnull=False)
    caf_ever_granted = consents.filter(source=CAF, decision=Consent.Decision.GRANTED)
    return Case(
        When(Exists(tax_data.filter(source=TaxData.Source.NOTICE)), then=Value("checked")),
        When(
            Exists(benefit_awaiting.filter(Q(identity_mismatch=True) | Q(child_not_found=True))),
            then=Value("caf_mismatch"),
        ),
        When(Exists(benefit_awaiting), then=Value("caf_to_confirm")),
        When(Exists(benefit), then=Value("caf_obtained")),
        When(Exists(awaiting.filter(identity_mismatch=True)), then=Value("mismatch")),
        When(Exists(awaiting), then=Value("to_confirm")),
        When(Exists(tax_data), then=Value("obtained")),
        # a notice waits for an agent while no figures are in
        When(Exists(notice_to_check), then=Value("notice")),
        When(Exists(live.filter(decision=Consent.Decision.REFUSED)), then=Value("declined")),
        When(Exists(live), then=Value("waiting")),
        # The CAF/MSA asked first: a pending lookup; then, once the family declined it or the CAF knows no file,
        # the DGFiP page if the grid has it, else a notice or the highest tariff.
        When(
            Exists(caf_live.filter(decision=Consent.Decision.GRANTED, not_found_at__isnull=True)),
            then=Value("waiting"),
        ),
        When(Exists(ever_granted), then=Value("withdrawn")),  # no live answer, an authorisation withdrawn
        When((Exists(caf_refused) | Exists(caf_not_found)) & dgfip_proposed(), then=Value("missing")),
        When(Exists(caf_refused), then=Value("declined")),
        When(Exists(caf_not_found), then=Value("caf_not_found")),
        When(Exists(caf_ever_granted), then=Value("withdrawn")),
        default=Value("missing"),
        output_field=CharField(),
    )


def income_status(dossier) -> IncomeStatus:
    state = Dossier.objects.filter(pk=dossier.pk).annotate(income_state=income_state())
    # At most one live consent per source (one_live_consent_per_dossier_and_source): both in one query.
    live = {
        consent.source: consent
        for consent in Consent.objects.filter(dossier=dossier, source__in=(DGFIP, CAF), withdrawn_at__isnull=True)
    }
    return IncomeStatus(
        state=state.values_list("income_state", flat=True).get(),
        consent=live.get(DGFIP),
        tax_data=TaxData.objects.filter(dossier=dossier).select_related("checked_by", "confirmed_by").first(),
        notices=tuple(TaxNotice.objects.filter(dossier=dossier)),
        benefit_consent=live.get(CAF),
        benefit_data=FamilyBenefitData.objects.filter(dossier=dossier).select_related("confirmed_by").first(),
    )


def benefit_data_awaiting_agent():
    """The CAF/MSA figures an agent must check before the tariff uses them (FamilyBenefitData.awaiting_agent)."""
    unconfirmed = FamilyBenefitData.objects.filter(confirmed_at__isnull=True)
    waits = Q(identity_mismatch=True) | Q(child_not_found=True)
    if settings.API_PARTICULIER_IDENTITY_NEEDS_AGENT:
        waits |= Q(mode=FamilyBenefitData.Mode.IDENTITE)
    return unconfirmed.filter(waits)


def tax_data_awaiting_agent():
    """The DGFiP figures an agent must check before the tariff uses them (TaxData.awaiting_agent, as a query)."""
    unconfirmed = TaxData.objects.filter(source=TaxData.Source.DGFIP_NUMERO_FISCAL, confirmed_at__isnull=True)
    return (
        unconfirmed
        if settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT
        else unconfirmed.filter(identity_mismatch=True)
    )


def notice_get_for_user(*, user, pk) -> TaxNotice:
    """A notice for its family, or for an agent of its dossier's service allowed to see fiscal data and signed in
    with the second factor (as for the admin); 404 for anyone else. A notice shows every figure of a household.
    A notice the antivirus has not found clean yet (quarantined) is its family's only."""
    notices = TaxNotice.objects.select_related("household").exclude(file="")  # its file erased: nothing to serve
    mine = notices.filter(household__owner=user)
    if user.is_staff and user.is_verified() and roles.can_view_fiscal_data(user):
        scanned = notices.exclude(scan_status=TaxNotice.ScanStatus.PENDING)
        return get_object_or_404(mine | roles.visible_dossiers(user, scanned, via="dossier__"), pk=pk)
    return get_object_or_404(mine, pk=pk)
