"""Crèche places: capacities by section, the waiting list's criteria, committee sessions, offers and contracts."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.models.dossiers import Dossier
from cantine.models.offer import Establishment, Period
from portal.fields import EncryptedJSONField


class AgeGroup(models.TextChoices):
    """A crèche's sections, by the child's age in whole months at the start date."""

    BABIES = "babies", _("Bébés")
    MIDDLE = "middle", _("Moyens")
    OLDER = "older", _("Grands")

    @classmethod
    def for_months(cls, months: int) -> "AgeGroup":
        return next(group for group, (low, high) in AGE_GROUP_MONTHS.items() if low <= months < high)


# Months [from, to) of each section; grands stay until they leave the crèche.
AGE_GROUP_MONTHS = {AgeGroup.BABIES: (0, 18), AgeGroup.MIDDLE: (18, 30), AgeGroup.OLDER: (30, 10**6)}


class CrecheCapacity(models.Model):
    """Places of a crèche's section from a date, until the next row. Free places are computed from the offers,
    never stored; allocation locks these rows so two agents never give the same place."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="capacities", verbose_name=_("crèche")
    )
    age_group = models.CharField(_("section"), max_length=10, choices=AgeGroup.choices)
    from_date = models.DateField(_("à partir du"))
    places = models.PositiveSmallIntegerField(_("places"))

    class Meta:
        verbose_name = _("capacité d'accueil")
        verbose_name_plural = _("capacités d'accueil")
        ordering = ["establishment", "age_group", "from_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "age_group", "from_date"], name="one_capacity_per_section_and_date"
            )
        ]

    def __str__(self):
        return f"{self.establishment} — {self.get_age_group_display()} — {self.from_date:%d/%m/%Y} : {self.places}"


class WaitingListCriterion(models.Model):
    """A published criterion of the crèche waiting list and its points; ties go to the earliest application."""

    class Code(models.TextChoices):
        SIBLING = "sibling", _("Frère ou sœur déjà accueilli(e) à la crèche")
        SINGLE_PARENT = "single_parent", _("Parent isolé")
        DISABILITY = "disability", _("Enfant en situation de handicap")
        PARENTS_WORKING = "parents_working", _("Parent(s) en activité ou en formation")

    code = models.CharField(_("critère"), max_length=20, choices=Code.choices, unique=True)
    points = models.PositiveSmallIntegerField(_("points"))
    is_active = models.BooleanField(_("appliqué"), default=True)

    class Meta:
        verbose_name = _("critère de la liste d'attente")
        verbose_name_plural = _("critères de la liste d'attente")
        ordering = ["-points", "code"]

    def __str__(self):
        return f"{self.get_code_display()} : {self.points}"


class CommitteeSession(models.Model):
    """A sitting of the commission d'attribution for a crèche period; families are told its decision date."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="committee_sessions", verbose_name=_("période")
    )
    held_on = models.DateField(_("date de la commission"))
    decision_date = models.DateField(_("date de décision annoncée aux familles"))

    class Meta:
        verbose_name = _("commission d'attribution")
        verbose_name_plural = _("commissions d'attribution")
        ordering = ["-held_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision_date__gte=models.F("held_on")), name="decision_after_committee"
            )
        ]

    def __str__(self):
        return f"{self.period} — {self.held_on:%d/%m/%Y}"


class PlaceOffer(models.Model):
    """A place the committee offers to a dossier. It holds the place from its start date to the period's end
    while offered (until the deadline) or accepted."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Proposée")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Refusée par la famille")
        LAPSED = "lapsed", _("Expirée")

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="place_offers", verbose_name=_("demande")
    )
    session = models.ForeignKey(
        CommitteeSession,
        on_delete=models.PROTECT,
        related_name="offers",
        verbose_name=_("commission"),
    )
    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, related_name="place_offers", verbose_name=_("crèche")
    )
    age_group = models.CharField(_("section"), max_length=10, choices=AgeGroup.choices)
    start_date = models.DateField(_("date d'entrée"))
    deadline = models.DateField(_("réponse attendue au plus tard le"))
    weeks_per_year = models.DecimalField(_("semaines d'accueil par an"), max_digits=4, decimal_places=1)
    months_billed = models.DecimalField(_("mois facturés"), max_digits=4, decimal_places=1)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.OFFERED, editable=False
    )
    decided_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("décidée par")
    )
    created_at = models.DateTimeField(_("proposée le"), default=timezone.now)
    answered_at = models.DateTimeField(_("réponse le"), null=True, blank=True)

    class Meta:
        verbose_name = _("place proposée")
        verbose_name_plural = _("places proposées")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(status__in=["offered", "accepted"]),
                name="one_live_offer_per_dossier",
            )
        ]

    def __str__(self):
        return f"{self.establishment} — {self.get_age_group_display()} — {self.start_date:%d/%m/%Y}"

    def is_open(self, today) -> bool:
        return self.status == self.Status.OFFERED and today <= self.deadline


class CrecheContract(models.Model):
    """The accueil contract drawn when the family accepts a place, with the PSU figures of the tariff engine."""

    offer = models.OneToOneField(
        PlaceOffer, on_delete=models.PROTECT, related_name="contract", verbose_name=_("place")
    )
    dossier = models.OneToOneField(
        Dossier, on_delete=models.PROTECT, related_name="creche_contract", verbose_name=_("demande")
    )
    start_date = models.DateField(_("date d'entrée"))
    hours_per_week = models.DecimalField(_("heures par semaine"), max_digits=5, decimal_places=2)
    weeks_per_year = models.DecimalField(_("semaines d'accueil par an"), max_digits=4, decimal_places=1)
    months_billed = models.DecimalField(_("mois facturés"), max_digits=4, decimal_places=1)
    hourly_rate = models.DecimalField(_("tarif horaire"), max_digits=6, decimal_places=2)
    monthly_fee = models.DecimalField(_("mensualité"), max_digits=8, decimal_places=2)
    # The computation quotes the household's income: encrypted like DossierQuote.explanation, and its income
    # lines erased with the tax data. The hourly rate and the fee stay: they are what the family signed and pays.
    explanation = EncryptedJSONField(_("explication"), default=list)
    income_erased_at = models.DateTimeField(_("revenus effacés le"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("établi le"), default=timezone.now)
    accepted_by = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place acceptée par"),
    )
    confirmed_at = models.DateTimeField(_("confirmé par la famille le"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmé par"),
    )
    # What the PDF prints, frozen when the family confirms (cantine.contracts.contract_document): renaming the
    # child or a new grid never changes a signed contract. Encrypted, its calculation quoting the household's
    # income; its income lines go with contract.explanation's, and the whole of it with the family's account.
    document = EncryptedJSONField(_("contrat tel que confirmé"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contrat d'accueil")
        verbose_name_plural = _("contrats d'accueil")
        ordering = ["-drawn_at"]

    def __str__(self):
        return _("Contrat d'accueil %(reference)s") % {"reference": self.dossier.reference}
