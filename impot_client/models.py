"""What the portal keeps about a household's income: the family's answer to the consent page, the few
figures the tariff needs (encrypted), and uploaded tax notices. The raw DGFiP answer is never stored."""

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from portal.fields import (
    EncryptedCharField,
    EncryptedDecimalField,
    EncryptedIntegerField,
    EncryptedJSONField,
)


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT, which no URL serves: only cantine.income.views.notice_file, after an
    access check. The location is read from settings at each use, not frozen when models load."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def _notice_path(notice, filename):
    """A random name: the family's file name may hold personal data and must not reach the disk."""
    return f"avis/{notice.household_id}/{uuid.uuid4().hex}"


class TaxNotice(models.Model):
    """An avis d'imposition sent by a family the API could not serve, for an agent to read."""

    class Status(models.TextChoices):
        TO_CHECK = "to_check", _("À vérifier")
        CHECKED = "checked", _("Vérifié")

    class ScanStatus(models.TextChoices):
        NOT_SCANNED = "not_scanned", _("Sans antivirus configuré")
        PENDING = "pending", _("En cours d'analyse antivirus")
        CLEAN = "clean", _("Sain (analysé par l'antivirus)")

    dossier = models.ForeignKey(
        "cantine.Dossier", on_delete=models.CASCADE, related_name="tax_notices", verbose_name=_("demande")
    )
    household = models.ForeignKey(
        "portal.Household", on_delete=models.CASCADE, related_name="tax_notices", verbose_name=_("foyer")
    )
    file = models.FileField(_("fichier"), storage=PrivateStorage(), upload_to=_notice_path)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("taille (octets)"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.TO_CHECK)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("envoyé par")
    )
    uploaded_at = models.DateTimeField(_("envoyé le"), default=timezone.now)
    # The antivirus (when CLAMD_SOCKET or CLAMD_HOST is set): a notice not yet scanned, or whose scan failed, is
    # quarantined, agents cannot open it, and a task scans it again. An infected file is never kept.
    scan_status = models.CharField(
        _("analyse antivirus"), max_length=12, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )

    class Meta:
        verbose_name = _("avis d'imposition")
        verbose_name_plural = _("avis d'imposition")
        ordering = ["-uploaded_at"]
        indexes = [
            # The agents' « avis d'imposition à vérifier » flag and filter: the few notices still to check.
            models.Index(fields=["dossier"], condition=Q(status="to_check"), name="taxnotice_to_check"),
        ]

    def __str__(self):
        return _("Avis du %(date)s") % {"date": timezone.localtime(self.uploaded_at).strftime("%d/%m/%Y")}

    @property
    def quarantined(self) -> bool:
        """Not yet found clean by the configured antivirus: nobody but its family opens it."""
        return self.scan_status == self.ScanStatus.PENDING


class TaxData(models.Model):
    """The figures the tariff uses, for one dossier, with where they came from."""

    class Source(models.TextChoices):
        DGFIP_FRANCECONNECT = "dgfip_franceconnect", _("DGFiP, via FranceConnect")
        DGFIP_NUMERO_FISCAL = "dgfip_numero_fiscal", _("DGFiP, par numéro fiscal")
        NOTICE = "notice", _("Avis d'imposition vérifié par un agent")

    dossier = models.OneToOneField(
        "cantine.Dossier", on_delete=models.CASCADE, related_name="tax_data", verbose_name=_("demande")
    )
    household = models.ForeignKey(
        "portal.Household", on_delete=models.CASCADE, related_name="tax_data", verbose_name=_("foyer")
    )
    consent = models.ForeignKey(
        "portal.Consent",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tax_data",
        verbose_name=_("consentement"),
    )
    notice = models.ForeignKey(
        TaxNotice,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tax_data",
        verbose_name=_("avis d'imposition"),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    year = models.PositiveSmallIntegerField(_("année des revenus"))
    rfr = EncryptedIntegerField(_("revenu fiscal de référence (€)"))
    nb_parts = EncryptedDecimalField(_("nombre de parts"))
    nb_pac = EncryptedIntegerField(_("personnes à charge"), null=True, blank=True)
    numero_fiscal = EncryptedCharField(_("numéro fiscal"), blank=True)
    identity_mismatch = models.BooleanField(
        _("déclarants différents du foyer"),
        default=False,
        help_text=_("Les déclarants ne correspondent pas au titulaire : aucun tarif automatique."),
    )
    declarant_keys = EncryptedJSONField(
        _("empreintes des déclarants"),
        default=list,
        blank=True,
        help_text=_(
            "Empreintes à clé (HMAC) du nom, du premier prénom et de la date de naissance de chaque déclarant : "
            "elles permettent de refaire la comparaison avec le foyer sans conserver les noms."
        ),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("déclarants confirmés par"),
    )
    confirmed_at = models.DateTimeField(_("déclarants confirmés le"), null=True, blank=True)
    obtained_at = models.DateTimeField(_("obtenu le"), default=timezone.now)
    correlation_id = models.CharField(_("identifiant de corrélation DGFiP"), max_length=36, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié par"),
    )

    class Meta:
        verbose_name = _("données fiscales")
        verbose_name_plural = _("données fiscales")
        indexes = [
            # The agents' « identité à vérifier » flag and filter: figures by numéro fiscal not confirmed yet.
            models.Index(
                fields=["dossier"],
                condition=Q(source="dgfip_numero_fiscal", confirmed_at__isnull=True),
                name="taxdata_awaiting_agent",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="notice", notice__isnull=False, checked_by__isnull=False)
                | ~Q(source="notice") & Q(consent__isnull=False),
                name="tax_data_has_its_origin",
            ),
        ]

    def __str__(self):
        return _("Revenus %(year)s — %(source)s") % {"year": self.year, "source": self.get_source_display()}

    @property
    def awaiting_agent(self) -> bool:
        """Figures typed in by numéro fiscal belong to whoever's number it is: until an agent confirms the declarants
        are this household's, they wait when they do not match, and always unless the commune chose otherwise
        (IMPOT_NUMERO_FISCAL_NEEDS_AGENT). FranceConnect certifies the identity; a notice is checked by an agent."""
        if self.source != self.Source.DGFIP_NUMERO_FISCAL or self.confirmed_at is not None:
            return False
        return self.identity_mismatch or settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT

    @property
    def usable_for_tariff(self) -> bool:
        return not self.awaiting_agent

    @property
    def shown_to_family(self) -> bool:
        """A local account proves no identity: what a numéro fiscal brings is never shown back to it, else anyone
        could read a household's income by typing its number."""
        return self.source != self.Source.DGFIP_NUMERO_FISCAL
