"""Tariff grids, the quote of each dossier, and the CNAF barème figures agents keep up to date."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import pricing
from cantine.models.dossiers import Dossier
from cantine.models.offer import Period
from portal import formats
from portal.fields import EncryptedDecimalField, EncryptedJSONField
from portal.models import DeliberatedVersion
from pricing import words


class TariffGrid(DeliberatedVersion):
    """One version of a period's tariff, as the JSON of the pricing engine. A version a dossier's quote uses is
    never changed in place: editing it makes a new version (cantine.services.tariff_grid_save)."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="tariff_grids", verbose_name=_("période")
    )
    version = models.PositiveSmallIntegerField(_("version"), editable=False)
    label = models.CharField(
        _("libellé"),
        max_length=200,
        help_text=_("Par exemple : délibération du conseil municipal du 12 juin 2026."),
    )
    data = models.JSONField(_("grille (JSON)"))
    is_active = models.BooleanField(
        _("en vigueur"),
        default=False,
        help_text=_("La grille appliquée aux nouvelles demandes de la période."),
    )

    class Meta:
        verbose_name = _("grille tarifaire")
        verbose_name_plural = _("grilles tarifaires")
        ordering = ["period", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="one_grid_per_period_version"),
            models.UniqueConstraint(
                fields=["period"], condition=Q(is_active=True), name="one_active_grid_per_period"
            ),
        ]

    def __str__(self):
        return f"{self.period} — v{self.version}"

    @property
    def kind(self) -> str:
        return self.data.get("kind", "")

    @property
    def in_use(self) -> bool:
        return self.quotes.exists()


class DossierQuote(models.Model):
    """The tariff of a dossier and why, with the grid version it came from. Recomputed only on purpose."""

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, related_name="quote", verbose_name=_("demande")
    )
    grid = models.ForeignKey(
        TariffGrid, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("grille (version)")
    )
    amount = models.DecimalField(_("tarif"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=20)
    income_source = models.CharField(_("revenus retenus"), max_length=20)
    # QF, explanation and criteria (QF, PSU resources, children in charge) come from the household's income:
    # encrypted like the tax data they come from, and erased with it (cantine.services.dossier_income_erase).
    qf = EncryptedDecimalField(_("quotient familial"), null=True, blank=True)
    explanation = EncryptedJSONField(_("explication"), default=list)
    criteria = EncryptedJSONField(_("critères appliqués"), default=dict)
    income_erased_at = models.DateTimeField(_("revenus effacés le"), null=True, blank=True)
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)
    computed_by = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    # An agent's override: billed instead of `amount`, which stays for the record. A recomputation keeps it.
    overridden_amount = models.DecimalField(
        _("tarif modifié"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    override_justification = models.TextField(_("justification de la modification"), blank=True)
    overridden_by = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    overridden_at = models.DateTimeField(_("modifié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("tarif d'une demande")
        verbose_name_plural = _("tarifs des demandes")
        constraints = [
            models.CheckConstraint(
                condition=Q(overridden_amount__isnull=True)
                | Q(overridden_amount__gte=0) & ~Q(override_justification=""),
                name="override_is_positive_and_justified",
            ),
        ]

    def __str__(self):
        return formats.with_unit(self.final_amount, self.unit_label)

    @property
    def is_overridden(self) -> bool:
        return self.overridden_amount is not None

    @property
    def final_amount(self):
        """What the family is billed: the agent's override if any, else the computed tariff."""
        return self.overridden_amount if self.is_overridden else self.amount

    @property
    def unit_label(self) -> str:
        """« par repas », « de l'heure »..."""
        return words.translated(pricing.UNITS.get(self.unit, self.unit))


class BaremeFigure(models.Model):
    """A figure of the CNAF barème, shipped from pricing.bareme with its source, editable by agents; figures
    public sources did not confirm are flagged for them to check."""

    valid_from = models.DateField(_("en vigueur à partir du"))
    source = models.CharField(_("source"), max_length=300)
    confirmed = models.BooleanField(_("confirmé"), default=False)

    class Meta:
        abstract = True
        ordering = ["-valid_from"]


class PsuEffortRate(BaremeFigure):
    """A taux d'effort per hour, by type of crèche and number of children."""

    class EstablishmentType(models.TextChoices):
        COLLECTIVE = "collective", _("Crèche collective")
        FAMILY = "family", _("Crèche familiale ou parentale")
        MICRO = "micro", _("Micro-crèche (PSU)")

    establishment = models.CharField(_("type d'accueil"), max_length=20, choices=EstablishmentType.choices)
    children_min = models.PositiveSmallIntegerField(_("enfants (de)"))
    children_max = models.PositiveSmallIntegerField(_("enfants (à)"), null=True, blank=True)
    rate_percent = models.DecimalField(_("taux d'effort horaire (%)"), max_digits=7, decimal_places=4)

    class Meta:
        verbose_name = _("taux d'effort PSU")
        verbose_name_plural = _("taux d'effort PSU")
        ordering = ["-valid_from", "establishment", "children_min"]

    def __str__(self):
        return f"{self.get_establishment_display()} {self.children_min}+ : {self.rate_percent} %"


class PsuResourceLimit(BaremeFigure):
    """The monthly floor and ceiling of resources, from a date."""

    floor = models.DecimalField(_("plancher mensuel (€)"), max_digits=8, decimal_places=2)
    ceiling = models.DecimalField(_("plafond mensuel (€)"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("plancher et plafond PSU")
        verbose_name_plural = _("planchers et plafonds PSU")
        ordering = ["-valid_from"]
        constraints = [models.UniqueConstraint(fields=["valid_from"], name="one_resource_limit_per_date")]

    def __str__(self):
        return f"{self.valid_from:%d/%m/%Y} : {formats.euros(self.floor)} – {formats.euros(self.ceiling)}"
