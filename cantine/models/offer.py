"""What the commune offers: establishments, services and their periods."""

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Weekday(models.TextChoices):
    MONDAY = "mon", _("Lundi")
    TUESDAY = "tue", _("Mardi")
    WEDNESDAY = "wed", _("Mercredi")
    THURSDAY = "thu", _("Jeudi")
    FRIDAY = "fri", _("Vendredi")


class Establishment(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", _("École")
        CRECHE = "creche", _("Crèche")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    address = models.TextField(_("adresse"), blank=True)
    is_active = models.BooleanField(_("ouvert"), default=True)

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class Service(models.Model):
    """A service families enrol in. The kind decides which details a dossier asks for."""

    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("Restauration scolaire")
        CRECHE = "creche", _("Crèche")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    kind = models.CharField(_("type de service"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    establishments = models.ManyToManyField(
        Establishment, related_name="services", blank=True, verbose_name=_("établissements")
    )
    max_age_years = models.PositiveSmallIntegerField(
        _("âge maximal (ans)"),
        null=True,
        blank=True,
        help_text=_("L'enfant doit avoir moins de cet âge à la date d'entrée souhaitée (crèche : 3 ans)."),
    )
    max_age_years_with_disability = models.PositiveSmallIntegerField(
        _("âge maximal avec AEEH (ans)"), null=True, blank=True
    )
    # The hours a crèche takes children in: a schedule outside them is refused at the details step.
    opens_at = models.TimeField(_("ouverture (crèche)"), default=time(7, 30))
    closes_at = models.TimeField(_("fermeture (crèche)"), default=time(18, 30))
    is_active = models.BooleanField(_("proposé"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Period(models.Model):
    """A service's period (a school year) and the dates families may apply for it."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="periods", verbose_name=_("service")
    )
    label = models.CharField(
        _("libellé"), max_length=100, help_text=_("Par exemple : année scolaire 2026-2027.")
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    enrolment_opens_on = models.DateField(_("ouverture des inscriptions"))
    enrolment_closes_on = models.DateField(_("clôture des inscriptions"))

    class Meta:
        verbose_name = _("période")
        verbose_name_plural = _("périodes")
        ordering = ["service", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["service", "label"], name="unique_period_label_per_service"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="period_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(enrolment_closes_on__gte=models.F("enrolment_opens_on")),
                name="enrolment_closes_after_opening",
            ),
        ]

    def __str__(self):
        return f"{self.service} — {self.label}"
