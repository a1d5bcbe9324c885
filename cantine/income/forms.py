import re

from django import forms
from django.utils.translation import gettext_lazy as _

from cantine.income.services import NOTICE_TYPES
from portal.uploads import too_large_message

NUMERO_FISCAL = re.compile(r"[0-3]\d{12}")


class ConsentForm(forms.Form):
    """`shown` carries the fingerprint of the text the family read, checked against the current one."""

    shown = forms.CharField(widget=forms.HiddenInput)


class NumeroFiscalConsentForm(ConsentForm):
    numero_fiscal = forms.CharField(
        label=_("Numéro fiscal"),
        help_text=_(
            "13 chiffres, en haut à gauche de la première page de votre avis d'imposition "
            "(celui de l'un ou l'autre déclarant). Les espaces sont acceptés."
        ),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_numero_fiscal(self):
        value = re.sub(r"[\s.]", "", self.cleaned_data["numero_fiscal"])
        if not value.isdigit():
            message = _("Le numéro fiscal ne contient que des chiffres (13 au total).")
        elif len(value) != 13:
            message = _("Le numéro fiscal compte exactement 13 chiffres ; vous en avez saisi %(count)d.") % {
                "count": len(value)
            }
        elif not NUMERO_FISCAL.fullmatch(value):
            message = _(
                "Un numéro fiscal commence par 0, 1, 2 ou 3 : vérifiez-le sur votre avis d'imposition."
            )
        else:
            return value
        raise forms.ValidationError(message, code="format")


class TaxNoticeForm(forms.Form):
    file = forms.FileField(
        label=_("Votre dernier avis d'imposition"),
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus. Une photo lisible de la première page suffit."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(NOTICE_TYPES)}),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        """`too_large`: the file streamed past the limit and was dropped on the way (portal.uploads)."""
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean(self):
        if self.too_large:
            self.errors.pop("file", None)  # « required » would not say why
            self.add_error("file", forms.ValidationError(too_large_message(), code="too_large"))
        return super().clean()
