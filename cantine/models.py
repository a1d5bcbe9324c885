"""What the commune offers (services, establishments, periods) and the families' enrolment dossiers."""

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import pricing
from portal.fields import EncryptedDecimalField, EncryptedJSONField


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
    # Declared by the family for the waiting list's criteria (the tax data's sitParIso is not stored).
    creche_single_parent = models.BooleanField(_("parent isolé (déclaré)"), default=False)
    creche_parents_working = models.BooleanField(
        _("parent(s) en activité ou en formation (déclaré)"), default=False
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("demande d'inscription")
        verbose_name_plural = _("demandes d'inscription")
        ordering = ["-created_at"]
        permissions = [
            ("view_fiscal_data", _("Peut voir les données fiscales des familles")),
            ("export_dossiers", _("Peut exporter les demandes acceptées pour la facturation")),
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

    def canteen_days_display(self):
        labels = dict(Weekday.choices)
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


class TariffGrid(models.Model):
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
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
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
        return f"{self.final_amount} € {self.unit_label}"

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
        return str(pricing.UNITS.get(self.unit, self.unit))


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
        return f"{self.valid_from:%d/%m/%Y} : {self.floor} – {self.ceiling} €"


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
    confirmed_at = models.DateTimeField(_("confirmé par la famille le"), null=True, blank=True)

    class Meta:
        verbose_name = _("contrat d'accueil")
        verbose_name_plural = _("contrats d'accueil")
        ordering = ["-drawn_at"]

    def __str__(self):
        return _("Contrat d'accueil %(reference)s") % {"reference": self.dossier.reference}
