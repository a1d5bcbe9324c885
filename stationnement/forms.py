from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from impot_client.forms import NumeroFiscalField
from portal.uploads import DOCUMENT_TYPES
from stationnement.models import Application, ApplicationDocument, Zone
from stationnement.plates import plate_normalise


class VehicleForm(forms.Form):
    plate = forms.CharField(
        label=_("Immatriculation du véhicule"),
        help_text=_("Comme sur la carte grise : AB-123-CD (ou 1234 AB 75 pour une ancienne plaque)."),
        max_length=15,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    duration = forms.ChoiceField(label=_("Durée de la carte"), choices=Application.Duration.choices)
    company_vehicle = forms.BooleanField(
        label=_("La carte grise n'est pas à mon nom (véhicule de société, location longue durée)"),
        required=False,
    )

    def clean_plate(self):
        try:
            return plate_normalise(self.cleaned_data["plate"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0], code="bad_plate") from error


SOCIAL_CHOICES = {
    "caf": _("Oui, avec mon quotient familial de la CAF ou de la MSA"),
    "dgfip": _("Oui, avec mon revenu fiscal de référence et mon nombre de parts (DGFiP)"),
}


class DomicileConsentForm(forms.Form):
    """`shown` carries the fingerprint of the text the resident read, checked against the current one. When the
    tariff in force has a social tariff, `social` says whether (and with which income) the resident asks for it:
    optional, the full price otherwise."""

    shown = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, sources: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if sources:
            self.fields["social"] = forms.ChoiceField(
                label=_("Demander le tarif social ?"),
                choices=[("", _("Non, je ne demande pas le tarif social (plein tarif)"))]
                + [(source, SOCIAL_CHOICES[source]) for source in sources],
                required=False,
                initial="",
                widget=forms.RadioSelect,
            )


class NumeroFiscalDomicileForm(DomicileConsentForm):
    numero_fiscal = NumeroFiscalField()


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Pièce"), choices=ApplicationDocument.Kind.choices)
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus. Une photo lisible suffit."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(DOCUMENT_TYPES)}),
    )


class IssueForm(forms.Form):
    """The agent checked the proofs; the zone is theirs to say when the address did not settle it."""

    zone = forms.ModelChoiceField(label=_("Zone"), queryset=None, empty_label=_("Choisissez la zone"))

    def __init__(self, *args, zone_map=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zone_map.zones.all() if zone_map is not None else Zone.objects.none()


class RefusalForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), widget=forms.Textarea(attrs={"rows": 3}))
