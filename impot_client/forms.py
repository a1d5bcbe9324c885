"""The numéro fiscal as families type it, for every démarche that looks DGFiP up by number."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

NUMERO_FISCAL = re.compile(r"[0-3]\d{12}")


class NumeroFiscalField(forms.CharField):
    """13 digits, spaces and dots accepted, with a French message saying what is wrong with what was typed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Numéro fiscal"))
        kwargs.setdefault(
            "help_text",
            _(
                "13 chiffres, en haut à gauche de la première page de votre avis d'imposition "
                "(celui de l'un ou l'autre déclarant). Les espaces sont acceptés."
            ),
        )
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = re.sub(r"[\s.]", "", super().clean(value))
        if not value.isdigit():
            message = _("Le numéro fiscal ne contient que des chiffres (13 au total).")
        elif len(value) != 13:
            message = _("Le numéro fiscal compte exactement 13 chiffres ; vous en avez saisi %(count)d.") % {
                "count": len(value)
            }
        elif not NUMERO_FISCAL.fullmatch(value):
            message = _("Un numéro fiscal commence par 0, 1, 2 ou 3 : vérifiez-le sur votre avis d'imposition.")
        else:
            return value
        raise forms.ValidationError(message, code="format")
