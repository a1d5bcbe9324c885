"""The families' enrolment dossiers, their ranked crèches, status history and the messages sent about them."""

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.models.offer import Establishment, Period, Service, Weekday


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
    # Declared by the family for the waiting list's criteria (the tax data's sitParIso is not stored).
    creche_single_parent = models.BooleanField(_("parent isolé (déclaré)"), default=False)
    creche_parents_working = models.BooleanField(
        _("parent(s) en activité ou en formation (déclaré)"), default=False
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True, editable=False)
    # The crèche rate counts the household's children added until then: set when the family sends the dossier,
    # moved on when an agent checks the children added since (a child added later changes nothing by itself).
    children_counted_at = models.DateTimeField(
        _("enfants du foyer comptés jusqu'au"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("demande d'inscription")
        verbose_name_plural = _("demandes d'inscription")
        ordering = ["-created_at"]
        permissions = [
            ("view_fiscal_data", _("Peut voir les données fiscales des familles")),
            ("export_dossiers", _("Peut exporter les demandes acceptées pour la facturation")),
        ]
        indexes = [
            # The agents' list: its default ordering (oldest sent first, drafts last, then the admin's -pk; on
            # PostgreSQL an ascending index puts nulls last, as the ordering does), and what its filters and roles
            # narrow by.
            models.Index(fields=["submitted_at", "created_at", "-id"], name="dossier_review_order"),
            models.Index(
                fields=["service", "status", "submitted_at", "created_at", "-id"], name="dossier_service_status"
            ),
            models.Index(fields=["period", "status"], name="dossier_period_status"),
        ]
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

    def canteen_days_display(self, labels: dict | None = None):
        """The meal days' names in week order; `labels` translated already (an export's 30 000 rows)."""
        labels = labels or dict(Weekday.choices)
        return [labels[day] for day in Weekday.values if day in self.canteen_days]

    def creche_weekly_hours(self) -> Decimal:
        """Hours reserved per week by the crèche schedule {"mon": ["08:30", "17:30"], ...}."""
        minutes = 0
        for start, end in (self.creche_schedule or {}).values():
            begin, finish = datetime.strptime(start, "%H:%M"), datetime.strptime(end, "%H:%M")
            minutes += max(int((finish - begin).total_seconds() // 60), 0)
        return Decimal(minutes) / 60

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


class DossierMessage(models.Model):
    """What the family was told about its dossier: listed on its dossier page and emailed by the task worker.
    The email status lets agents see, and resend, what did not go out."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Demande reçue")
        ACCEPTED = "accepted", _("Demande acceptée")
        REJECTED = "rejected", _("Demande refusée")
        DOCUMENTS_REQUESTED = "documents_requested", _("Pièces demandées")
        TARIFF_CHANGED = "tariff_changed", _("Tarif modifié")
        PLACE_OFFERED = "place_offered", _("Place en crèche proposée")
        CONTRACT_DRAWN = "contract_drawn", _("Contrat d'accueil établi")
        INCOME_WITHDRAWN = "income_withdrawn", _("Accord retiré, revenus effacés")

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        SENT = "sent", _("envoyé")
        FAILED = "failed", _("échec de l'envoi")

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="messages", verbose_name=_("demande")
    )
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    recipient = models.EmailField(_("destinataire"))
    subject = models.CharField(_("objet"), max_length=250)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    email_status = models.CharField(
        _("envoi par courriel"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message à la famille")
        verbose_name_plural = _("messages aux familles")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["email_status", "created_at"])]

    def __str__(self):
        return self.subject
