"""The commune's resident zones: versions of a zone map, each made of zones drawn from street segments."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stationnement.addresses import commune_key, street_key


class ZoneMap(models.Model):
    """One version of the resident zones. A version in force is never edited in place: an import or a change makes a
    new version (stationnement.services), so a card keeps the zones it was issued on."""

    version = models.PositiveSmallIntegerField(_("version"), unique=True, editable=False)
    label = models.CharField(
        _("libellé"), max_length=200, help_text=_("Par exemple : arrêté du 3 mars 2026.")
    )
    is_active = models.BooleanField(_("en vigueur"), default=False)
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
