from django import forms
from django.utils.translation import gettext_lazy as _

from cantine.income.services import NOTICE_TYPES
from impot_client.forms import NumeroFiscalField


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
