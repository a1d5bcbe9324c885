"""Reads on a dossier's income data: what the family chose, and what the tariff can use."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from cantine import roles
from cantine.models import Dossier
from impot_client.models import TaxData, TaxNotice
from portal.models import Consent

# The states in which figures by numéro fiscal wait for an agent to confirm the declarants.
DECLARANTS_TO_CHECK = ("to_confirm", "mismatch")


@dataclass(frozen=True)
class IncomeStatus:
    """Where a dossier stands on income. `state` is one of:
    missing       the family has not answered the consent page yet
    waiting       consent given, no figures yet (the lookup failed or was interrupted)
    obtained      figures from DGFiP, usable for the tariff
    to_confirm    figures by numéro fiscal whose declarants match: an agent confirms them before the tariff uses them
    mismatch      figures from DGFiP whose declarants are not the household's: an agent must check
    notice        a tax notice waits for an agent
    checked       figures typed by an agent from a notice
    declined      the family chose not to share its income (highest tariff)
    withdrawn     the family withdrew its authorisation: figures erased (highest tariff)
    """

    state: str
    consent: Consent | None
    tax_data: TaxData | None
    notices: tuple[TaxNotice, ...]

    LABELS = {
        "missing": _("pas encore de réponse de la famille"),
        "waiting": _("accord donné, revenus non transmis"),
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
        return self.tax_data is None or self.tax_data.shown_to_family


def income_state() -> Case:
    """IncomeStatus.state as an expression on dossiers: the one definition of the states, which the family's pages
    (income_status) and the agents' list, its flags and filters (cantine.admin.review and cantine.admin.filters) all read."""
    dossier = OuterRef("pk")
    tax_data = TaxData.objects.filter(dossier=dossier)
    awaiting = tax_data_awaiting_agent().filter(dossier=dossier)
    live = Consent.objects.filter(dossier=dossier, withdrawn_at__isnull=True)
    notice_to_check = TaxNotice.objects.filter(dossier=dossier, status=TaxNotice.Status.TO_CHECK)
    ever_granted = Consent.objects.filter(dossier=dossier, decision=Consent.Decision.GRANTED)
    return Case(
        When(Exists(tax_data.filter(source=TaxData.Source.NOTICE)), then=Value("checked")),
        When(Exists(awaiting.filter(identity_mismatch=True)), then=Value("mismatch")),
        When(Exists(awaiting), then=Value("to_confirm")),
        When(Exists(tax_data), then=Value("obtained")),
        When(Exists(notice_to_check), then=Value("notice")),  # a notice waits for an agent while no figures are in
        When(Exists(live.filter(decision=Consent.Decision.REFUSED)), then=Value("declined")),
        When(Exists(live), then=Value("waiting")),
        When(Exists(ever_granted), then=Value("withdrawn")),  # no live answer, an authorisation withdrawn
        default=Value("missing"),
        output_field=CharField(),
    )


def income_status(dossier) -> IncomeStatus:
    state = Dossier.objects.filter(pk=dossier.pk).annotate(income_state=income_state())
    return IncomeStatus(
        state=state.values_list("income_state", flat=True).get(),
        consent=Consent.objects.filter(dossier=dossier, withdrawn_at__isnull=True).first(),
        tax_data=TaxData.objects.filter(dossier=dossier).select_related("checked_by", "confirmed_by").first(),
        notices=tuple(TaxNotice.objects.filter(dossier=dossier)),
    )


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
    with the second factor (as for the admin); 404 for anyone else. A notice shows every figure of a household."""
    notices = TaxNotice.objects.select_related("household").exclude(file="")  # its file erased: nothing to serve
    mine = notices.filter(household__owner=user)
    if user.is_staff and user.is_verified() and roles.can_view_fiscal_data(user):
        return get_object_or_404(mine | roles.visible_dossiers(user, notices, via="dossier__"), pk=pk)
    return get_object_or_404(mine, pk=pk)
