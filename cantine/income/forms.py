from django import forms
from django.utils.translation import gettext_lazy as _

from cantine.income.services import NOTICE_TYPES
from impot_client.forms import NumeroFiscalField
from portal.uploads import too_large_message


class ConsentForm(forms.Form):
    """`shown` carries the fingerprint of the text the family read, checked against the current one."""

    shown = forms.CharField(widget=forms.HiddenInput)


class NumeroFiscalConsentForm(ConsentForm):
    numero_fiscal = NumeroFiscalField()


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
