"""Family accounts (the user who signs in, the household they own, its adults and children) and what every
démarche shares: the audit log of agents' actions and the families' consent records."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def age_in_years(birth_date, day) -> int:
    """Whole years from birth to `day` (a birthday not yet reached that year does not count)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, is_active=True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account, identified by its email address (families and agents alike)."""

    email = models.EmailField(_("adresse électronique"), unique=True)
    is_active = models.BooleanField(
        _("actif"),
        default=True,
        help_text=_("Un compte familial devient actif quand son adresse est confirmée."),
    )
    is_staff = models.BooleanField(_("agent de la commune"), default=False)
    date_joined = models.DateTimeField(_("date d'inscription"), default=timezone.now)
    email_confirmed_at = models.DateTimeField(_("adresse confirmée le"), null=True, blank=True)
    # Retention: an account nobody signs in to is erased after RETENTION_INACTIVE_ACCOUNT_YEARS, once warned.
    inactivity_warned_at = models.DateTimeField(
        _("prévenu de l'effacement pour inactivité le"), null=True, blank=True
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


class Household(models.Model):
    """What a family account owns: the adults and children the démarches are about."""

    owner = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="household", verbose_name=_("compte")
    )
    address = models.TextField(_("adresse postale"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")

    def __str__(self):
        if hasattr(self, "holder_name"):  # annotated by lists (the households admin): no query per row
            return self.holder_name or self.owner.email
        holder = self.adults.filter(role=Adult.Role.HOLDER).first()
        return str(holder) if holder else self.owner.email


class Adult(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Féminin")
        MALE = "M", _("Masculin")

    class Role(models.TextChoices):
        HOLDER = "holder", _("Titulaire du compte")
        SECOND_PARENT = "second_parent", _("Second parent")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="adults", verbose_name=_("foyer")
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    first_names = models.CharField(_("prénoms"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    # The rest of the civil status API Particulier's identity pivot needs (a local account's holder fills it in;
    # FranceConnect certifies it for the others).
    birth_name = models.CharField(
        _("nom de naissance"), max_length=150, blank=True, help_text=_("Vide : le même que le nom.")
    )
    sex = models.CharField(_("sexe à l'état civil"), max_length=1, choices=Sex.choices, blank=True)
    birth_country = models.CharField(
        _("pays de naissance (code INSEE)"), max_length=5, blank=True, help_text=_("99100 pour la France.")
    )
    birth_commune = models.CharField(
        _("commune de naissance (code INSEE)"), max_length=5, blank=True, help_text=_("Pour une naissance en France.")
    )
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("adulte")
        verbose_name_plural = _("adultes")
        ordering = ["role", "last_name"]
        constraints = [
            models.UniqueConstraint(fields=["household", "role"], name="one_adult_per_role"),
        ]

    def __str__(self):
        return f"{self.first_names} {self.last_name}"


class Child(models.Model):
    class ClassLevel(models.TextChoices):
        TPS = "TPS", _("Toute petite section")
        PS = "PS", _("Petite section")
        MS = "MS", _("Moyenne section")
        GS = "GS", _("Grande section")
        CP = "CP", _("CP")
        CE1 = "CE1", _("CE1")
        CE2 = "CE2", _("CE2")
        CM1 = "CM1", _("CM1")
        CM2 = "CM2", _("CM2")

    class Diet(models.TextChoices):
        STANDARD = "standard", _("Sans régime particulier")
        NO_PORK = "no_pork", _("Sans porc")
        NO_MEAT = "no_meat", _("Sans viande")
        VEGETARIAN = "vegetarian", _("Végétarien")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="children", verbose_name=_("foyer")
    )
    first_names = models.CharField(_("prénoms"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    birth_date = models.DateField(_("date de naissance"))
    school = models.ForeignKey(
        "cantine.Establishment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pupils",
        limit_choices_to={"kind": "school"},
        verbose_name=_("école"),
    )
    class_level = models.CharField(_("classe"), max_length=3, choices=ClassLevel.choices, blank=True)
    has_disability = models.BooleanField(
        _("en situation de handicap (AEEH)"),
        default=False,
        help_text=_("L'enfant bénéficie de l'allocation d'éducation de l'enfant handicapé."),
    )
    diet = models.CharField(
        _("régime alimentaire"), max_length=20, choices=Diet.choices, default=Diet.STANDARD
    )
    has_pai = models.BooleanField(
        _("projet d'accueil individualisé (PAI)"),
        default=False,
        help_text=_("Allergie ou trouble de santé qui demande un protocole validé par le médecin scolaire."),
    )
    # When the family added the child (empty for children added before this was recorded): a crèche rate counts
    # the household's children, and one added after a dossier was sent waits for an agent before it counts.
    added_at = models.DateTimeField(_("ajouté le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["birth_date"]

    def __str__(self):
        return f"{self.first_names} {self.last_name}"

    def clean(self):
        super().clean()
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError({"birth_date": _("La date de naissance ne peut pas être dans le futur.")})
        if self.class_level and not self.school_id:
            raise ValidationError({"school": _("Indiquez l'école de l'enfant pour préciser sa classe.")})
        if self.class_level and self.birth_date and not self.class_fits_age():
            raise ValidationError(
                {
                    "class_level": _(
                        "Un enfant né en %(year)s n'est pas en %(level)s : vérifiez la classe ou la date de naissance."
                    )
                    % {"year": self.birth_date.year, "level": self.get_class_level_display()}
                }
            )

    # The age a child turns during the school year of each class (TPS: 2 years, CM2: 10), give or take a year
    # ahead or behind, and a year for a class given for the next school year.
    CLASS_AGES = {"TPS": 2, "PS": 3, "MS": 4, "GS": 5, "CP": 6, "CE1": 7, "CE2": 8, "CM1": 9, "CM2": 10}

    def class_fits_age(self, today=None) -> bool:
        today = today or timezone.localdate()
        school_year = today.year if today.month >= 9 else today.year - 1
        age = school_year - self.birth_date.year
        expected = self.CLASS_AGES[self.class_level]
        return expected - 1 <= age <= expected + 2

    def age_on(self, day):
        """Age in whole years on the given day."""
        return age_in_years(self.birth_date, day)


class OperationalAlert(models.Model):
    """Something only the commune's side can fix (DGFiP refusing access, a wrong gateway address, the quota
    exhausted for minutes). Written by portal.alerts, shown on the admin index until an agent resolves it; it
    never holds personal data."""

    kind = models.CharField(_("type"), max_length=50)
    message = models.TextField(_("message"))
    first_seen = models.DateTimeField(_("première fois"))
    last_seen = models.DateTimeField(_("dernière fois"))
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    mailed_at = models.DateTimeField(_("dernier courriel le"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("résolue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("alerte d'exploitation")
        verbose_name_plural = _("alertes d'exploitation")
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(resolved_at__isnull=True), name="one_open_alert_per_kind"
            ),
        ]

    def __str__(self):
        return self.kind


class DeliberatedVersion(models.Model):
    """A version of a rule the council or the mayor decides (a tariff grid, a zone map): one version in force at a
    time, and a version in use is never changed in place (portal.versions makes the next one)."""

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
        abstract = True


class AppendOnlyQuerySet(models.QuerySet):
    """Queryset update() and delete() skip the model's save() and delete(): refuse them too."""

    def update(self, **kwargs):
        raise ValueError("Le journal d'audit ne se modifie pas.")

    def delete(self):
        raise ValueError("Le journal d'audit ne s'efface pas.")


class AuditEntry(models.Model):
    """Who did what to which dossier, when and from where: append-only, written by the service that acts,
    in the same transaction. Never any figure or name in `detail`: it says what, not what the data was."""

    class Action(models.TextChoices):
        VIEWED_FISCAL_DATA = "viewed_fiscal_data", _("a consulté les données fiscales")
        DECIDED = "decided", _("a changé le statut")
        ENTERED_FIGURES = "entered_figures", _("a saisi les montants d'un avis d'imposition")
        OVERRODE_TARIFF = "overrode_tariff", _("a modifié le tarif")
        RECOMPUTED_TARIFF = "recomputed_tariff", _("a recalculé le tarif")
        EXPORTED = "exported", _("a exporté")
        CHANGED_GRID = "changed_grid", _("a modifié une grille tarifaire")
        OFFERED_PLACE = "offered_place", _("a proposé une place en crèche")
        CONFIRMED_DECLARANTS = "confirmed_declarants", _("a confirmé les déclarants d'un numéro fiscal")
        CHANGED_ZONES = "changed_zones", _("a modifié les zones de stationnement résidentiel")
        REFRESHED_BENEFITS = "refreshed_benefits", _("a actualisé les données CAF ou MSA")
        ERASED_ACCOUNT = "erased_account", _("a effacé son compte (ou il a été effacé)")

    actor = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    dossier = models.ForeignKey(
        "cantine.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit",
        verbose_name=_("demande"),
    )
    detail = models.JSONField(_("détail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    at = models.DateTimeField(_("le"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        db_table = "cantine_auditentry"  # the table it had when the log lived in cantine
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} — {self.actor} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Le journal d'audit ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Le journal d'audit ne s'efface pas.")


class Consent(models.Model):
    """The family's answer to the consent page for one dossier: authorised (in which mode) or refused."""

    class Decision(models.TextChoices):
        GRANTED = "granted", _("Autorisé")
        REFUSED = "refused", _("Refusé (tarif le plus élevé)")

    class Mode(models.TextChoices):
        FRANCECONNECT = "franceconnect", _("Via FranceConnect")
        NUMERO_FISCAL = "numero_fiscal", _("Par numéro fiscal")
        IDENTITE = "identite", _("Par l'identité du titulaire")

    class Source(models.TextChoices):
        DGFIP = "dgfip", _("DGFiP (API Impôt particulier)")
        API_PARTICULIER = "api_particulier", _("CAF ou MSA (API Particulier)")

    dossier = models.ForeignKey(
        "cantine.Dossier", on_delete=models.CASCADE, related_name="consents", verbose_name=_("demande")
    )
    household = models.ForeignKey(
        "portal.Household", on_delete=models.CASCADE, related_name="consents", verbose_name=_("foyer")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("compte")
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.DGFIP)
    decision = models.CharField(_("réponse"), max_length=10, choices=Decision.choices)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, blank=True)
    fields = models.JSONField(_("données demandées"), default=list, blank=True)
    purpose = models.TextField(_("finalité"))
    text_hash = models.CharField(
        _("empreinte du texte affiché"), max_length=64, help_text=_("SHA-256 du texte lu par la famille.")
    )
    given_at = models.DateTimeField(_("donné le"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    not_found_at = models.DateTimeField(
        _("inconnu de la source le"),
        null=True,
        blank=True,
        help_text=_(
            "La source n'a aucun dossier pour cette personne : la famille passe à la source suivante."
        ),
    )

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        db_table = "impot_client_consent"  # the table it had when consents lived in impot_client
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "source"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_live_consent_per_dossier_and_source",
            ),
            models.CheckConstraint(
                condition=Q(decision="refused", mode="") | Q(decision="granted") & ~Q(mode=""),
                name="consent_mode_only_when_granted",
            ),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} — {self.dossier}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class SignIn(models.Model):
    """A sign-in to a family account, for « Mes données »: when and how, nothing else (no address, no browser).
    Kept RETENTION_SIGN_IN_DAYS days."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("mot de passe")
        FRANCECONNECT = "franceconnect", _("FranceConnect")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ins", verbose_name=_("compte")
    )
    method = models.CharField(_("moyen"), max_length=20, choices=Method.choices)
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("connexion")
        verbose_name_plural = _("connexions")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} — {self.get_method_display()}"


class FormSubmission(models.Model):
    """A creating form's one-time token (portal.submissions), claimed by the request that acted on it: the same
    form sent again (a double click, a reload, a replayed POST) is answered with the first result, the address it
    led to, instead of creating again. The unique constraint is what settles two requests arriving together.
    Nothing personal is kept; purge_expired erases them after portal.submissions.KEPT_DAYS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("compte")
    )
    token = models.CharField(_("jeton"), max_length=64)
    result_url = models.CharField(_("résultat"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("envoi de formulaire")
        verbose_name_plural = _("envois de formulaires")
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="form_token_used_once")]
        indexes = [models.Index(fields=["created_at"], name="form_submission_created")]

    def __str__(self):
        return f"{self.created_at:%d/%m/%Y %H:%M} — {self.result_url}"
