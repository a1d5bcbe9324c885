"""What the commune offers (services, establishments, periods) and the families' enrolment dossiers."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
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


class Dossier(models.Model):
    """An enrolment request: a child, a service, a period. Its status only changes through cantine.workflow."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Envoyée")
        UNDER_REVIEW = "under_review", _("En cours d'instruction")
        AWAITING_DOCUMENTS = "awaiting_documents", _("En attente de pièces")
        ACCEPTED = "accepted", _("Acceptée")
        REJECTED = "rejected", _("Refusée")
        CANCELLED = "cancelled", _("Annulée par la famille")

    child = models.ForeignKey(
        "portal.Child", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("enfant")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("service")
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("période")
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
        verbose_name=_("établissement"),
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    canteen_days = models.JSONField(_("jours de repas"), default=list, blank=True)
    creche_start_date = models.DateField(_("date d'entrée souhaitée"), null=True, blank=True)
    creche_schedule = models.JSONField(
        _("planning hebdomadaire"), default=dict, blank=True, help_text=_('{"mon": ["08:30", "17:30"], ...}')
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("demande d'inscription")
        verbose_name_plural = _("demandes d'inscription")
        ordering = ["-created_at"]
        constraints = [
            # A cancelled request frees the slot so the family can apply again.
            models.UniqueConstraint(
                fields=["child", "service", "period"],
                condition=~Q(status="cancelled"),
                name="one_live_dossier_per_child_service_period",
                violation_error_message=_(
                    "Une demande existe déjà pour cet enfant, ce service et cette période."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.child} — {self.service}"

    @property
    def reference(self):
        return f"D-{self.pk:06d}" if self.pk else "—"

    def canteen_days_display(self):
        labels = dict(Weekday.choices)
        return [labels[day] for day in Weekday.values if day in self.canteen_days]

    def creche_schedule_display(self):
        labels = dict(Weekday.choices)
        return [
            (labels[day], *self.creche_schedule[day]) for day in Weekday.values if day in self.creche_schedule
        ]


class CrecheChoice(models.Model):
    """One of up to three crèches a family ranks for a crèche dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="creche_choices")
    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, verbose_name=_("crèche"))
    rank = models.PositiveSmallIntegerField(_("rang"))

    class Meta:
        verbose_name = _("crèche souhaitée")
        verbose_name_plural = _("crèches souhaitées")
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "rank"], name="one_creche_per_rank"),
            models.UniqueConstraint(fields=["dossier", "establishment"], name="creche_ranked_once"),
            models.CheckConstraint(condition=Q(rank__gte=1, rank__lte=3), name="creche_rank_1_to_3"),
        ]

    def __str__(self):
        return f"{self.rank}. {self.establishment}"


class DossierStatusChange(models.Model):
    """History of a dossier: one row per transition, never edited."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(
        _("ancien statut"), max_length=20, choices=Dossier.Status.choices, blank=True
    )
    to_status = models.CharField(_("nouveau statut"), max_length=20, choices=Dossier.Status.choices)
    at = models.DateTimeField(_("le"), default=timezone.now)
    actor = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    note = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("changement de statut")
        verbose_name_plural = _("historique des statuts")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display() or '∅'} → {self.get_to_status_display()}"
