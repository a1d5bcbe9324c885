"""The Django edge of the engine's errors: one conversion to ValidationError, one to messages, one to form errors."""

import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

import pricing
from cantine.tariffs.errors import add_form_errors, as_validation_error, error_messages, validation_error

ERROR = pricing.GridError(
    errors={None: ["La grille est vide."], "brackets.0.price": ["Le prix est obligatoire."]}
)


def test_validation_error_keys_by_field():
    assert validation_error(ERROR).message_dict == {
        NON_FIELD_ERRORS: ["La grille est vide."],
        "brackets.0.price": ["Le prix est obligatoire."],
    }


def test_as_validation_error_converts_only_engine_errors():
    with pytest.raises(ValidationError) as error, as_validation_error():
        raise pricing.MissingFacts("Indiquez la date.", field="on")
    assert error.value.message_dict == {"on": ["Indiquez la date."]}
    with pytest.raises(KeyError), as_validation_error():
        raise KeyError("not the engine's")


def test_error_messages_name_the_field_or_its_label():
    assert error_messages(ERROR) == ["La grille est vide.", "brackets.0.price : Le prix est obligatoire."]
    assert error_messages(pricing.InvalidFacts("Négatif.", field="qf"), {"qf": "--qf"}) == ["--qf : Négatif."]


class Form(forms.Form):
    start_date = forms.DateField(required=False)
    children = forms.IntegerField(required=False)


def test_add_form_errors_puts_each_message_on_the_field_that_sets_it():
    form = Form({})
    assert form.is_valid()
    error = pricing.PricingError(errors={"children": ["Trop."], "rfr": ["Aucun."], None: ["Pas de barème."]})
    add_form_errors(form, error, {"children": "children"}, default="start_date")
    assert form.errors == {"children": ["Trop."], "start_date": ["Aucun.", "Pas de barème."]}
