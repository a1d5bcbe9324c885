"""The resident parking démarche: the commune's zones (versions of a zone map drawn from street segments), the
tariff grid, the residents' applications with their documents, and the cards issued."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from impot_client.models import PrivateStorage
from portal.fields import (
    EncryptedCharField,
    EncryptedDecimalField,
    EncryptedIntegerField,
    EncryptedJSONField,
)
from portal.models import DeliberatedVersion
from stationnement.addresses import commune_key, street_key


class ZoneMap(DeliberatedVersion):
    """One version of the resident zones. A version in force is never edited in place: an import or a change makes a
    new version (stationnement.services), so a card keeps the zones it was issued on."""

    version = models.PositiveSmallIntegerField(_("version"), unique=True, editable=False)
    label = models.CharField(
        _("libellé"), max_length=200, help_text=_("Par exemple : arrêté du 3 mars 2026.")
    )

    class Meta:
        verbose_name = _("plan des zones")
        verbose_name_plural = _("plans des zones")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_zone_map_in_force"
            ),
        ]

    def __str__(self):
        return _("Zones, version %(version)s — %(label)s") % {"version": self.version, "label": self.label}

    @property
    def in_use(self) -> bool:
        """A card or an application names one of its zones: then the map is never changed in place."""
        return (
            Application.objects.filter(zone__zone_map=self).exists()
            or Card.objects.filter(zone__zone_map=self).exists()
        )


class Zone(models.Model):
    zone_map = models.ForeignKey(
        ZoneMap, on_delete=models.CASCADE, related_name="zones", verbose_name=_("plan")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["zone_map", "code"], name="one_zone_code_per_map")]

    def __str__(self):
        return f"{self.code} — {self.name}" if self.name and self.name != self.code else self.code


class StreetSegment(models.Model):
    """A street, or the numbers of it between two bounds (one side or both), that belongs to a zone."""

    class Parity(models.TextChoices):
        ALL = "tous", _("tous les numéros")
        EVEN = "pair", _("numéros pairs")
        ODD = "impair", _("numéros impairs")

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="segments", verbose_name=_("zone"))
    street = models.CharField(_("voie"), max_length=200)
    postcode = models.CharField(_("code postal"), max_length=5)
    commune = models.CharField(_("commune"), max_length=100)
    number_min = models.PositiveIntegerField(_("du numéro"), null=True, blank=True)
    number_max = models.PositiveIntegerField(_("au numéro"), null=True, blank=True)
    parity = models.CharField(_("côté"), max_length=6, choices=Parity.choices, default=Parity.ALL)
    # The forms addresses are compared with (stationnement.addresses), kept up to date on save.
    street_key = models.CharField(max_length=200, editable=False, db_index=True)
    commune_key = models.CharField(max_length=100, editable=False)

    class Meta:
        verbose_name = _("tronçon de voie")
        verbose_name_plural = _("tronçons de voie")
        ordering = ["zone", "street", "number_min"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number_min__isnull=True)
                | Q(number_max__isnull=True)
                | Q(number_min__lte=models.F("number_max")),
                name="segment_bounds_in_order",
            ),
        ]

    def __str__(self):
        if self.number_min is None and self.number_max is None:
            numbers = _("toute la voie")
        else:
            numbers = _("du %(min)s au %(max)s") % {
                "min": self.number_min or 1,
                "max": self.number_max or "…",
            }
        return f"{self.street} ({numbers}, {self.get_parity_display()})"

    def save(self, *args, **kwargs):
        self.street_key = street_key(self.street)
        self.commune_key = commune_key(self.commune)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "street_key", "commune_key"}
        super().save(*args, **kwargs)

    @property
    def whole_street(self) -> bool:
        return self.number_min is None and self.number_max is None and self.parity == self.Parity.ALL

    def covers(self, number: int | None) -> bool:
        """Whether the segment holds this number; an address without number only lies in a whole street."""
        if number is None:
            return self.whole_street
        if self.number_min is not None and number < self.number_min:
            return False
        if self.number_max is not None and number > self.number_max:
            return False
        if self.parity == self.Parity.EVEN:
            return number % 2 == 0
        if self.parity == self.Parity.ODD:
            return number % 2 == 1
        return True


class ParkingGrid(DeliberatedVersion):
    """One version of the resident card's tariff, as the JSON of pricing.parking. A version a card was priced on
    is never changed in place (stationnement.services.parking_grid_save makes a new one)."""

    version = models.PositiveSmallIntegerField(_("version"), unique=True, editable=False)
    label = models.CharField(
        _("libellé"), max_length=200, help_text=_("Par exemple : délibération du 12 juin 2026.")
    )
    data = models.JSONField(_("grille (JSON)"))

    class Meta:
        verbose_name = _("grille du stationnement résidentiel")
        verbose_name_plural = _("grilles du stationnement résidentiel")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_parking_grid_in_force"
            ),
        ]

    def __str__(self):
        return _("Tarif, version %(version)s — %(label)s") % {"version": self.version, "label": self.label}

    @property
    def in_use(self) -> bool:
        """An application was priced on it: then the grid is never changed in place."""
        return self.applications.exists()


def _document_path(document, filename):
    """A random name: the family's file name may hold personal data."""
    return f"stationnement/{document.application.household_id}/{uuid.uuid4().hex}"


class Application(models.Model):
    """A resident's application for a parking card: the domicile (from DGFiP's address, or a proof for an agent),
    the vehicle (from the ANTS, or a carte grise for an agent), the duration and the amount."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Envoyée, en cours de vérification")
        ACCEPTED = "accepted", _("Acceptée : carte délivrée")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    class Duration(models.TextChoices):
        MONTH = "month", _("Un mois")
        QUARTER = "quarter", _("Un trimestre")
        YEAR = "year", _("Un an")

    class DomicileSource(models.TextChoices):
        NONE = "", _("pas encore vérifié")
        DGFIP_FRANCECONNECT = "dgfip_franceconnect", _("adresse déclarée à la DGFiP, via FranceConnect")
        DGFIP_NUMERO_FISCAL = "dgfip_numero_fiscal", _("adresse déclarée à la DGFiP, par numéro fiscal")
        PROOF = "proof", _("justificatif de domicile, vérifié par un agent")

    class VehicleSource(models.TextChoices):
        NONE = "", _("pas encore vérifié")
        ANTS = "ants", _("certificat d'immatriculation (ANTS), via FranceConnect")
        DOCUMENT = "document", _("carte grise envoyée, vérifiée par un agent")

    household = models.ForeignKey(
        "portal.Household",
        on_delete=models.CASCADE,
        related_name="parking_applications",
        verbose_name=_("foyer"),
    )
    applicant = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("demandeur")
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    duration = models.CharField(_("durée"), max_length=10, choices=Duration.choices, default=Duration.YEAR)
    plate = models.CharField(_("immatriculation"), max_length=12, blank=True)
    company_vehicle = models.BooleanField(
        _("véhicule de société ou en location"),
        default=False,
        help_text=_(
            "La carte grise n'est pas à votre nom : une attestation de l'employeur ou du loueur est jointe."
        ),
    )
    # The consent to ask DGFiP for the address (dgfip_aft), and the income of the social tariff when the resident
    # chose to share it: when, in which mode, the fields named, the text read.
    consent_mode = models.CharField(_("mode"), max_length=20, blank=True)
    consent_fields = models.JSONField(_("données demandées"), default=list, blank=True)
    consent_text_hash = models.CharField(_("empreinte du texte lu"), max_length=64, blank=True)
    consent_at = models.DateTimeField(_("accord donné le"), null=True, blank=True)
    domicile_source = models.CharField(
        _("domicile vérifié par"), max_length=20, choices=DomicileSource.choices, blank=True, default=""
    )
    address = EncryptedCharField(_("adresse déclarée"), blank=True)
    zone = models.ForeignKey(
        Zone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("zone"),
    )
    domicile_problem = models.CharField(_("point à vérifier (domicile)"), max_length=40, blank=True)
    vehicle_source = models.CharField(
        _("véhicule vérifié par"), max_length=10, choices=VehicleSource.choices, blank=True, default=""
    )
    vehicle_status = models.CharField(_("rattachement au véhicule"), max_length=12, blank=True)
    environmental_class = models.CharField(_("classe environnementale"), max_length=20, blank=True)
    vehicle_problem = models.CharField(_("point à vérifier (véhicule)"), max_length=40, blank=True)
    income_problem = models.CharField(
        _("tarif social non appliqué"),
        max_length=20,
        blank=True,
        help_text=_("Pourquoi les revenus demandés pour le tarif social n'ont pas été obtenus ou retenus."),
    )
    grid = models.ForeignKey(
        ParkingGrid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("grille"),
    )
    amount = models.DecimalField(_("montant"), max_digits=8, decimal_places=2, null=True, blank=True)
    explanation = EncryptedJSONField(_("explication"), default=list, blank=True)
    replaces = models.ForeignKey(
        "Card",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("remplace la carte"),
    )
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    decided_by = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande de carte résident")
        verbose_name_plural = _("demandes de carte résident")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="parking_app_status_idx")]

    def __str__(self):
        return _("Carte résident %(plate)s (%(status)s)") % {
            "plate": self.plate or "—",
            "status": self.get_status_display(),
        }

    @property
    def fully_matched(self) -> bool:
        """Everything the State's data checked, nothing for an agent: the commune may issue the card at once."""
        return (
            self.zone_id is not None
            and self.domicile_source
            in (self.DomicileSource.DGFIP_FRANCECONNECT, self.DomicileSource.DGFIP_NUMERO_FISCAL)
            and not self.domicile_problem
            and self.vehicle_source == self.VehicleSource.ANTS
            and not self.vehicle_problem
            and self.amount is not None
        )


class IncomeFigures(models.Model):
    """What the social tariff reads, from the one source the resident chose: the CAF or MSA quotient familial of a
    month, or DGFiP's RFR and parts of an income year. Encrypted; erased with the address (rights, purge) or when
    the resident withdraws the authorisation. Obtained by numéro fiscal or by identity (not `certified`), the
    figures are never shown to the resident, and set the tariff only when the people match the household."""

    class Source(models.TextChoices):
        CAF = "caf", _("CAF (API Particulier)")
        MSA = "msa", _("MSA (API Particulier)")
        DGFIP = "dgfip", _("DGFiP (API Impôt particulier)")

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="income", verbose_name=_("demande")
    )
    source = models.CharField(_("source"), max_length=5, choices=Source.choices)
    certified = models.BooleanField(
        _("via FranceConnect"), default=False, help_text=_("L'identité du demandeur est établie.")
    )
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("mois du QF"), null=True, blank=True)
    qf = EncryptedIntegerField(_("quotient familial (€)"), null=True, blank=True)
    rfr = EncryptedIntegerField(_("revenu fiscal de référence (€)"), null=True, blank=True)
    nb_parts = EncryptedDecimalField(_("nombre de parts"), null=True, blank=True)
    identity_mismatch = models.BooleanField(
        _("personnes différentes"),
        default=False,
        help_text=_("Les déclarants ou allocataires ne sont pas les adultes du foyer : pas de tarif social."),
    )
    correlation_id = models.CharField(_("identifiant de corrélation"), max_length=64, blank=True)
    obtained_at = models.DateTimeField(_("obtenu le"), default=timezone.now)

    class Meta:
        verbose_name = _("revenus du tarif social")
        verbose_name_plural = _("revenus du tarif social")

    def __str__(self):
        return self.get_source_display()


class ApplicationDocument(models.Model):
    class Kind(models.TextChoices):
        PROOF_OF_ADDRESS = "proof_of_address", _("justificatif de domicile de moins de trois mois")
        REGISTRATION = "registration", _("carte grise (certificat d'immatriculation)")
        ATTESTATION = "attestation", _("attestation de l'employeur ou du loueur")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="documents", verbose_name=_("demande")
    )
    kind = models.CharField(_("pièce"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("fichier"), storage=PrivateStorage(), upload_to=_document_path)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_at = models.DateTimeField(_("envoyée le"), default=timezone.now)

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["kind", "-uploaded_at"]

    def __str__(self):
        return self.get_kind_display()


class Card(models.Model):
    """A resident parking card. Its public check (by `token`, never by number nor name) tells only whether it is
    valid, its zone and its end date."""

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    token = models.CharField(_("code de vérification"), max_length=32, unique=True, editable=False)
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="card", verbose_name=_("demande")
    )
    household = models.ForeignKey(
        "portal.Household", on_delete=models.CASCADE, related_name="parking_cards", verbose_name=_("foyer")
    )
    plates = models.JSONField(_("immatriculations"), default=list)
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="cards", verbose_name=_("zone"))
    starts_on = models.DateField(_("valable du"))
    ends_on = models.DateField(_("valable jusqu'au"))
    amount = models.DecimalField(_("montant"), max_digits=8, decimal_places=2)
    issued_at = models.DateTimeField(_("délivrée le"), default=timezone.now)
    ended_on = models.DateField(
        _("fin anticipée le"),
        null=True,
        blank=True,
        help_text=_("Remplacée par une nouvelle carte (véhicule ou adresse)."),
    )
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("carte résident")
        verbose_name_plural = _("cartes résident")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["zone", "ends_on"], name="parking_card_zone_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=models.F("ends_on")), name="card_dates_in_order"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def last_day(self):
        return min(self.ends_on, self.ended_on) if self.ended_on else self.ends_on

    def state_on(self, day) -> str:
        """valid, expired (its end passed, or ended by a newer card) or future."""
        if day < self.starts_on:
            return "future"
        return "valid" if day <= self.last_day else "expired"
