"""The CAF or MSA figures of a dossier (API Particulier): only the ones its tariff uses, encrypted like the DGFiP
figures and erased with them. No name, no address: the allocataires are kept as keyed fingerprints only."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.models.dossiers import Dossier
from portal.fields import EncryptedIntegerField, EncryptedJSONField


class FamilyBenefitData(models.Model):
    class Route(models.TextChoices):
        QUOTIENT_FAMILIAL = "quotient_familial", _("quotient familial")
        EAJE = "participation_familiale_eaje", _("participation familiale EAJE (crèche)")

    class Mode(models.TextChoices):
        FRANCECONNECT = "france_connect", _("via FranceConnect")
        IDENTITE = "identite", _("par l'identité du titulaire")

    class Provider(models.TextChoices):
        CAF = "CAF", _("CAF")
        MSA = "MSA", _("MSA")

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, related_name="benefit_data", verbose_name=_("demande")
    )
    household = models.ForeignKey(
        "portal.Household", on_delete=models.CASCADE, related_name="benefit_data", verbose_name=_("foyer")
    )
    consent = models.ForeignKey(
        "portal.Consent",
        on_delete=models.CASCADE,
        related_name="benefit_data",
        verbose_name=_("consentement"),
    )
    route = models.CharField(_("donnée"), max_length=30, choices=Route.choices)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    provider = models.CharField(_("organisme"), max_length=3, choices=Provider.choices, default=Provider.CAF)
    # The quotient familial of a month (canteen grids)
    year = models.PositiveSmallIntegerField(_("année du QF"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("mois du QF"), null=True, blank=True)
    qf = EncryptedIntegerField(_("quotient familial (€)"), null=True, blank=True)
    # The PSU resources (crèches)
    annual_resources = EncryptedIntegerField(_("ressources annuelles (€)"), null=True, blank=True)
    resources_year = models.PositiveSmallIntegerField(_("année des ressources"), null=True, blank=True)
    children = EncryptedIntegerField(_("enfants à charge"), null=True, blank=True)
    aeeh_children = EncryptedIntegerField(_("enfants bénéficiaires de l'AEEH"), null=True, blank=True)
    correlation_id = models.CharField(_("identifiant de corrélation"), max_length=64, blank=True)
    obtained_at = models.DateTimeField(_("obtenu le"), default=timezone.now)
    identity_mismatch = models.BooleanField(
        _("allocataires différents du foyer"),
        default=False,
        help_text=_("Les allocataires ne correspondent à aucun adulte du foyer : aucun tarif automatique."),
    )
    child_not_found = models.BooleanField(
        _("enfant absent du dossier allocataire"),
        default=False,
        help_text=_("L'enfant inscrit ne figure pas parmi les enfants du dossier allocataire."),
    )
    allocataire_keys = EncryptedJSONField(
        _("empreintes des allocataires"),
        default=list,
        blank=True,
        help_text=_(
            "Empreintes à clé (HMAC) du nom, du premier prénom et de la date de naissance de chaque allocataire : "
            "la comparaison avec le foyer se refait sans conserver les noms."
        ),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmé par"),
    )
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("données CAF ou MSA")
        verbose_name_plural = _("données CAF ou MSA")
        # The agents' « identité à vérifier » filter starts from the few figures not confirmed yet
        # (cantine.admin.filters.FlagFilter), whichever API_PARTICULIER_IDENTITY_NEEDS_AGENT says.
        indexes = [
            models.Index(
                fields=["dossier"],
                condition=models.Q(confirmed_at__isnull=True),
                name="benefitdata_unconfirmed",
            )
        ]

    def __str__(self):
        return _("%(provider)s — %(route)s") % {
            "provider": self.get_provider_display(),
            "route": self.get_route_display(),
        }

    @property
    def income_source(self) -> str:
        """The engine's income source (pricing.INCOME_SOURCES)."""
        return "msa" if self.provider == self.Provider.MSA else "caf"

    @property
    def awaiting_agent(self) -> bool:
        """A mismatch (allocataires or child) always waits for an agent; figures found by the identity of a local
        account also wait unless the commune chose otherwise (API_PARTICULIER_IDENTITY_NEEDS_AGENT)."""
        if self.confirmed_at is not None:
            return False
        if self.identity_mismatch or self.child_not_found:
            return True
        return self.mode == self.Mode.IDENTITE and settings.API_PARTICULIER_IDENTITY_NEEDS_AGENT

    @property
    def usable_for_tariff(self) -> bool:
        return not self.awaiting_agent

    @property
    def shown_to_family(self) -> bool:
        """A local account proves no identity: figures found by identity are shown once an agent confirmed them."""
        return self.mode != self.Mode.IDENTITE or self.confirmed_at is not None


class BenefitRefreshSchedule(models.Model):
    """A date the commune chose to ask the CAF and the MSA again for every live dossier with a live authorisation
    (the QF changes monthly); `manage.py refresh_family_benefits`, run daily, carries it out."""

    run_on = models.DateField(_("à partir du"))
    label = models.CharField(_("libellé"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("effectuée le"), null=True, blank=True, editable=False)
    refreshed = models.PositiveIntegerField(_("demandes actualisées"), default=0, editable=False)
    failed = models.PositiveIntegerField(_("échecs"), default=0, editable=False)

    class Meta:
        verbose_name = _("actualisation CAF/MSA programmée")
        verbose_name_plural = _("actualisations CAF/MSA programmées")
        ordering = ["-run_on"]

    def __str__(self):
        return _("Actualisation du %(day)s") % {"day": self.run_on.strftime("%d/%m/%Y")}
