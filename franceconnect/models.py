"""The FranceConnect identity attached to a family account: INSEE-certified, never edited by hand."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FranceConnectIdentity(models.Model):
    """Found again by `sub` only: FranceConnect's pairwise subject, never the email address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="franceconnect",
        verbose_name=_("compte"),
    )
    sub = models.CharField(_("identifiant FranceConnect (sub)"), max_length=255, unique=True)
    given_name = models.CharField(_("prénoms"), max_length=255)
    family_name = models.CharField(_("nom de naissance"), max_length=255)
    preferred_username = models.CharField(_("nom d'usage"), max_length=255, blank=True)
    birthdate = models.CharField(
        _("date de naissance"),
        max_length=10,
        help_text=_("AAAA-MM-JJ ; « 00 » quand le jour ou le mois est inconnu."),
    )
    gender = models.CharField(_("sexe"), max_length=20, blank=True)
    birthplace = models.CharField(_("lieu de naissance (code INSEE)"), max_length=5, blank=True)
    birthcountry = models.CharField(_("pays de naissance (code INSEE)"), max_length=5, blank=True)
    email = models.EmailField(_("adresse électronique FranceConnect"), blank=True)
    acr = models.CharField(_("niveau d'authentification (acr)"), max_length=20)
    linked_at = models.DateTimeField(_("liée le"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("dernière connexion FranceConnect"))

    class Meta:
        verbose_name = _("identité FranceConnect")
        verbose_name_plural = _("identités FranceConnect")

    def __str__(self):
        return f"{self.given_name} {self.family_name}"
