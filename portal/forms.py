"""Family forms. They validate input; the services in portal.services do the writing."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import cog, services, throttles
from portal.models import Adult, Child, User, age_in_years

DJANGO_BLANK = "---------"
CHOOSE = _("— Choisir —")
NONE = _("— Aucun —")


def blank_label(field) -> str:
    return CHOOSE if field.required else NONE


def french_blank_choices(field):
    """Django's « --------- » empty choice, in words: « — Choisir — » (required) or « — Aucun — » (optional)."""
    if getattr(field, "empty_label", None) == DJANGO_BLANK:
        field.empty_label = blank_label(field)
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        choices = list(field.choices)
        if choices and choices[0] == ("", DJANGO_BLANK):
            field.choices = [("", blank_label(field)), *choices[1:]]
    return field


class FrenchBlankChoicesMixin:
    """A form whose selects never offer « --------- »."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            french_blank_choices(field)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_errors(form, error: ValidationError, aliases=None):
    """Show a service's ValidationError on the form: on the field it names (or its alias), or at the top."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for field, messages in error.error_dict.items():
            field = aliases.get(field, field)
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error)


ADULT_AGE_RANGE = (15, 120)  # years: outside it, a parent's birth date is a typo


def clean_adult_birth_date(birth_date):
    """A parent's birth date, compared with DGFiP's declarants when the family gives its numéro fiscal."""
    today = timezone.localdate()
    if birth_date is None:
        return None
    if birth_date > today:
        raise ValidationError(_("La date de naissance ne peut pas être dans le futur."), code="future")
    youngest, oldest = ADULT_AGE_RANGE
    if not youngest <= age_in_years(birth_date, today) <= oldest:
        raise ValidationError(
            _(
                "Cette date de naissance ne semble pas être celle d'un parent : vérifiez le jour, le mois et l'année."
            ),
            code="implausible",
        )
    return birth_date


def adult_birth_date_field(**kwargs):
    return forms.DateField(
        label=_("Date de naissance"),
        widget=DateInput(attrs={"autocomplete": "bday"}),
        help_text=_(
            "Comme sur votre avis d'imposition : elle sert à vérifier que les revenus transmis par les impôts sont "
            "bien ceux de votre foyer."
        ),
        error_messages={
            "required": _("Indiquez la date de naissance (jour, mois et année)."),
            "invalid": _("Saisissez une date de naissance valide, par exemple 12/04/1988."),
        },
        **kwargs,
    )


class SignupForm(SetPasswordMixin, forms.Form):
    error_messages = {"password_mismatch": _("Les deux mots de passe ne sont pas identiques.")}

    first_names = forms.CharField(
        label=_("Prénoms"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    birth_date = adult_birth_date_field()
    email = forms.EmailField(
        label=_("Adresse électronique"),
        help_text=_("Un lien vous y sera envoyé pour confirmer votre compte."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Au moins 10 caractères, pas uniquement des chiffres, pas un mot de passe courant."),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def clean_birth_date(self):
        return clean_adult_birth_date(self.cleaned_data["birth_date"])

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        self.validate_password_for_user(User(email=cleaned.get("email", "")), password_field_name="password1")
        if not self.errors and self.request is not None:  # a valid sign-up sends a mail: it counts
            wait = throttles.SIGNUP.wait(request=self.request, email=cleaned["email"])
            if wait:
                raise ValidationError(throttles.refusal_message(wait), code="throttled")
            throttles.SIGNUP.count(request=self.request, email=cleaned["email"])
        return cleaned


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse électronique"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("Adresse électronique ou mot de passe incorrect."),
        "inactive": _(
            "Votre adresse n'est pas encore confirmée : ouvrez le lien reçu par courriel, ou demandez-en un nouveau "
            "avec « Mot de passe oublié ? »."
        ),
    }
    throttle = throttles.SIGNIN

    def clean(self):
        """One password hash whatever the address (unknown, unconfirmed, active); refused without any once the
        account or the address has failed too often, with the same message for a registered address."""
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            wait = self.throttle.wait(request=self.request, email=email)
            if wait:
                raise ValidationError(throttles.refusal_message(wait), code="throttled")
            self.user_cache = authenticate(
                self.request, username=email, password=password, allow_inactive=True
            )
            if self.user_cache is None or not (
                self.user_cache.is_active or awaits_confirmation(self.user_cache)
            ):
                self.user_cache = None
                self.throttle.count(request=self.request, email=email)
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def awaits_confirmation(user) -> bool:
    """A family account created by the sign-up form whose address was never confirmed."""
    return not user.is_active and user.email_confirmed_at is None and not user.is_staff


class AccountPasswordResetForm(PasswordResetForm):
    """The request is the same whether the address has an account or not: one window counted, one task queued
    (portal.tasks.password_reset_mail_send looks the address up outside the request)."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if self.request is not None:
            wait = throttles.PASSWORD_RESET.wait(request=self.request, email=email)
            if wait:
                raise ValidationError(throttles.refusal_message(wait), code="throttled")
            throttles.PASSWORD_RESET.count(request=self.request, email=email)
        return email

    def save(self, **kwargs):
        services.password_reset_request(email=self.cleaned_data["email"])


class ConfirmPasswordForm(SetPasswordForm):
    """Confirming an address sets its password: whoever created the account, the password that becomes active is
    the one typed by who reads the mailbox."""

    error_messages = {"password_mismatch": _("Les deux mots de passe ne sont pas identiques.")}
    new_password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Celui choisi à l'inscription, ou un nouveau : au moins 10 caractères, pas uniquement des chiffres, "
            "pas un mot de passe courant."
        ),
    )
    new_password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class AdultForm(FrenchBlankChoicesMixin, forms.ModelForm):
    CERTIFIED_FIELDS = ["first_names", "last_name", "birth_date"]

    def __init__(self, *args, certified=False, **kwargs):
        """A civil status certified by FranceConnect is shown but never taken from the form. Otherwise the birth
        date is required: without it, the declarants of a numéro fiscal can never match."""
        super().__init__(*args, **kwargs)
        self.fields["birth_date"] = adult_birth_date_field(required=not certified)
        for name in self.CERTIFIED_FIELDS if certified else []:
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Certifié par FranceConnect : non modifiable.")

    class Meta:
        model = Adult
        fields = ["first_names", "last_name", "birth_date", "email", "phone"]
        widgets = {
            "first_names": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

    def clean_birth_date(self):
        birth_date = self.cleaned_data.get("birth_date")
        return birth_date if self.fields["birth_date"].disabled else clean_adult_birth_date(birth_date)

    def adult_fields(self) -> dict:
        """What services.adult_save is given."""
        return dict(self.cleaned_data)


class HolderForm(AdultForm):
    """The holder's page of a local account: with the rest of the civil status API Particulier's identity pivot
    needs, so the CAF or the MSA can be asked without an attestation. The birth commune is picked without
    JavaScript: the holder types its name, the server proposes the matching communes with their département, as
    radio buttons, and keeps the one chosen (its INSEE COG code)."""

    PIVOT_FIELDS = ["birth_name", "sex", "birth_country", "birth_commune"]

    commune_query = forms.CharField(
        label=_("Commune de naissance"),
        required=False,
        max_length=150,
        help_text=_(
            "Pour une naissance en France (outre-mer compris) : tapez le nom de la commune, par exemple « Nantes » "
            "ou « Saint-Denis 93 ». Pour Paris, Lyon et Marseille, choisissez l'arrondissement."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "data-commune-suggestions": reverse_lazy("portal:commune_suggestions"),
            }
        ),
    )
    birth_commune = forms.ChoiceField(
        label=_("Choisissez votre commune de naissance"),
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta(AdultForm.Meta):
        fields = [
            "first_names",
            "last_name",
            "birth_name",
            "birth_date",
            "sex",
            "birth_country",
            "birth_commune",
            "email",
            "phone",
        ]
        widgets = {
            **AdultForm.Meta.widgets,
            "birth_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "sex": forms.RadioSelect,
        }
        labels = {"birth_name": _("Nom de naissance, s'il est différent du nom")}
        help_texts = {
            "birth_name": _("Le nom inscrit sur votre acte de naissance, par exemple avant un mariage.")
        }

    field_order = [
        "first_names",
        "last_name",
        "birth_name",
        "birth_date",
        "sex",
        "birth_country",
        "commune_query",
        "birth_commune",
        "email",
        "phone",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sex = self.fields["sex"]
        sex.label = _("Sexe à l'état civil")
        sex.choices = list(Adult.Sex.choices)
        sex.help_text = _("Celui de votre acte de naissance.")
        self.fields["birth_country"] = forms.ChoiceField(
            label=_("Pays de naissance"),
            required=False,
            choices=[("", _("— Choisissez un pays —"))]
            + [(country.code, country.name) for country in cog.countries()],
        )
        self.order_fields(self.field_order)
        instance_commune = cog.commune_get(self.instance.birth_commune) if self.instance.pk else None
        if self.is_bound:
            query = self.data.get(self.add_prefix("commune_query"), "")
        else:
            # A code the COG files no longer name (a newer millésime loaded) is shown, and kept, as it is.
            query = instance_commune.name if instance_commune else self.instance.birth_commune
            self.initial["commune_query"] = query
        found = cog.commune_search(query)
        # The communes of that very name when there are (« Saint-Denis »: four), else those it begins.
        self.matches = [commune for commune in found if cog.is_named(commune, query)] or found
        self.too_many = len(self.matches) >= cog.SEARCH_LIMIT
        if instance_commune and not self.is_bound and instance_commune not in self.matches:
            self.matches.insert(0, instance_commune)
        key = self.add_prefix("birth_commune")
        if self.is_bound and self.data.get(key) and self.data[key] not in {c.code for c in self.matches}:
            self.data = self.data.copy()  # chosen among the communes of a name typed since
            del self.data[key]
        self.fields["birth_commune"].choices = [(commune.code, commune.label) for commune in self.matches]

    CONTACT_FIELDS = ["first_names", "last_name", "email", "phone"]

    def contact_fields(self):
        return [self[name] for name in self.CONTACT_FIELDS]

    def civil_status_fields(self):
        """The identity pivot's fields; the list of communes only once a name has been typed."""
        names = ["birth_name", "birth_date", "sex", "birth_country", "commune_query"]
        return [self[name] for name in names] + ([self["birth_commune"]] if self.matches else [])

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("birth_country", "")
        query = cleaned.get("commune_query", "").strip()
        chosen = cleaned.get("birth_commune", "")
        if country and country != cog.FRANCE:
            if query:
                self.add_error(
                    "commune_query",
                    _(
                        "La commune de naissance ne se renseigne que pour une naissance en France : effacez-la."
                    ),
                )
            cleaned["birth_commune"] = ""
            return cleaned
        if not query:
            cleaned["birth_commune"] = ""
            return cleaned
        if not country:
            self.add_error(
                "birth_country", _("Indiquez le pays de naissance : France pour une commune française.")
            )
        if chosen:
            return cleaned
        if not self.matches and self.instance.birth_commune and query == self.instance.birth_commune:
            cleaned["birth_commune"] = query
        elif len(self.matches) == 1:
            cleaned["birth_commune"] = self.matches[0].code
            self.data = self.data.copy()
            self.data[self.add_prefix("birth_commune")] = cleaned["birth_commune"]
        elif not self.matches:
            self.add_error(
                "commune_query",
                _(
                    "Aucune commune française ne porte ce nom : vérifiez l'orthographe, ou tapez seulement le début "
                    "du nom."
                ),
            )
        elif self.too_many:
            self.add_error(
                "commune_query",
                _(
                    "Trop de communes commencent ainsi : tapez le nom complet, ou ajoutez le numéro du département "
                    "(par exemple « Saint-Martin 38 »)."
                ),
            )
        else:
            self.add_error(
                "birth_commune",
                _(
                    "Plusieurs communes correspondent : choisissez la vôtre dans la liste, avec son département."
                ),
            )
        return cleaned

    def adult_fields(self) -> dict:
        """What the service saves: the model's fields, not the commune's search text."""
        return {name: value for name, value in self.cleaned_data.items() if name != "commune_query"}


# Establishment.Kind.SCHOOL: the establishments a child attends as a pupil.
SCHOOL_KIND = "school"


class ChildForm(FrenchBlankChoicesMixin, forms.ModelForm):
    class Meta:
        model = Child
        fields = [
            "first_names",
            "last_name",
            "birth_date",
            "school",
            "class_level",
            "has_disability",
            "diet",
            "has_pai",
        ]
        widgets = {"birth_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schools = self.fields["school"].queryset  # establishments (a démarche's model, not imported here)
        self.fields["school"].queryset = schools.filter(kind=SCHOOL_KIND, is_active=True)
        self.fields["school"].empty_label = _("L'enfant n'est pas scolarisé")
        self.fields["class_level"].choices = [("", _("—"))] + list(Child.ClassLevel.choices)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("school") and not cleaned.get("class_level"):
            self.add_error("class_level", _("Indiquez la classe de l'enfant dans cette école."))
        return cleaned

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if birth_date > today:
            raise ValidationError(_("La date de naissance ne peut pas être dans le futur."))
        if today.year - birth_date.year > 18:
            raise ValidationError(_("Le portail concerne les enfants de moins de 18 ans : vérifiez l'année."))
        return birth_date
