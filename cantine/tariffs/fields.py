"""Form fields for figures families and agents type the French way, with French messages for every refusal."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import pricing


class FrenchDecimalField(forms.DecimalField):
    """A number typed the French way (« 28 000 », « 2,5 », « 1 370,50 € »), read by pricing.parse_decimal.
    A plain text input with a decimal keypad: number inputs drop what they cannot parse, so a typo would
    vanish instead of being explained."""

    widget = forms.TextInput

    def __init__(self, *, example: str, lowest=Decimal(0), highest=None, **kwargs):
        self.example, self.lowest, self.highest = example, lowest, highest
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "inputmode": "decimal",
            "autocomplete": "off",
            "spellcheck": "false",
        }

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        text = str(value).strip().removesuffix("€").strip()
        try:
            number = pricing.parse_decimal(text)
        except ValueError:
            raise ValidationError(
                _("Saisissez un nombre, par exemple %(example)s.") % {"example": self.example}, code="invalid"
            ) from None
        return number

    def validate(self, value):
        super(forms.DecimalField, self).validate(value)  # required only: the bounds below speak French
        if value is None:
            return
        if value < self.lowest:
            raise ValidationError(
                _("Saisissez un nombre supérieur ou égal à %(lowest)s.")
                % {"lowest": number_format(self.lowest)},
                code="min_value",
            )
        if self.highest is not None and value > self.highest:
            raise ValidationError(
                _("Saisissez un nombre inférieur ou égal à %(highest)s.")
                % {"highest": number_format(self.highest)},
                code="max_value",
            )

    def run_validators(self, value):
        """No DecimalValidator: the amounts are rounded by the engine, not refused for their decimals."""


class WholeNumberField(forms.IntegerField):
    """A whole number in a text input with a numeric keypad, bounds said in French."""

    widget = forms.TextInput

    def __init__(self, *, lowest, highest, **kwargs):
        self.lowest, self.highest = lowest, highest
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault(
            "invalid", gettext_lazy("Saisissez un nombre entier, par exemple 2.")
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "numeric", "autocomplete": "off"}

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)

    def validate(self, value):
        super().validate(value)
        if value is not None and not self.lowest <= value <= self.highest:
            raise ValidationError(
                _("Saisissez un nombre entier de %(lowest)s à %(highest)s.")
                % {"lowest": self.lowest, "highest": self.highest},
                code="range",
            )
