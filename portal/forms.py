"""Family forms. They validate input; the services in portal.services do the writing."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.models import Establishment
from portal.models import Adult, Child, User


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


class SignupForm(SetPasswordMixin, forms.Form):
    error_messages = {"password_mismatch": _("Les deux mots de passe ne sont pas identiques.")}

    first_names = forms.CharField(
        label=_("Prénoms"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
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

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        self.validate_password_for_user(User(email=cleaned.get("email", "")), password_field_name="password1")
        return cleaned


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse électronique"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("Adresse électronique ou mot de passe incorrect."),
        "inactive": _("Votre adresse n'est pas encore confirmée : ouvrez le lien reçu par courriel."),
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            pending = User.objects.filter(email=email.lower(), is_active=False).first()
            if pending and pending.email_confirmed_at is None and pending.check_password(password):
                raise ValidationError(self.error_messages["inactive"], code="inactive")
        return super().clean()


class AdultForm(forms.ModelForm):
    CERTIFIED_FIELDS = ["first_names", "last_name", "birth_date"]

    def __init__(self, *args, certified=False, **kwargs):
        """A civil status certified by FranceConnect is shown but never taken from the form."""
        super().__init__(*args, **kwargs)
        for name in self.CERTIFIED_FIELDS if certified else []:
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Certifié par FranceConnect : non modifiable.")

    class Meta:
        model = Adult
        fields = ["first_names", "last_name", "birth_date", "email", "phone"]
        widgets = {
            "birth_date": DateInput(),
            "first_names": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

    def clean_birth_date(self):
        birth_date = self.cleaned_data.get("birth_date")
        if birth_date and birth_date >= timezone.localdate():
            raise ValidationError(_("La date de naissance doit être dans le passé."))
        return birth_date


class ChildForm(forms.ModelForm):
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
        self.fields["school"].queryset = Establishment.objects.filter(
            kind=Establishment.Kind.SCHOOL, is_active=True
        )
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
