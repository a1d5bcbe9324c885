from datetime import timedelta

import pytest
from django.utils import timezone

from portal.forms import ChildForm, SignupForm
from tests.factories import EstablishmentFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_names": "Inès",
    "last_name": "Moreau",
    "email": "Ines@Example.org",
    "password1": "un-mot-de-passe-long",
    "password2": "un-mot-de-passe-long",
}


def test_signup_form_lowercases_the_email():
    form = SignupForm(SIGNUP)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "ines@example.org"


def test_signup_form_refuses_different_passwords():
    form = SignupForm({**SIGNUP, "password2": "autre-mot-de-passe"})
    assert not form.is_valid()
    assert form.errors["password2"] == ["Les deux mots de passe ne sont pas identiques."]


@pytest.mark.parametrize("password", ["court", "1234567890123", "motdepasse"])
def test_signup_form_refuses_weak_passwords_in_french(password):
    form = SignupForm({**SIGNUP, "password1": password, "password2": password})
    assert not form.is_valid()
    assert "password1" in form.errors
    assert any("mot de passe" in message.lower() for message in form.errors["password1"])


def child_data(**overrides):
    return {
        "first_names": "Léa",
        "last_name": "Martin",
        "birth_date": (timezone.localdate() - timedelta(days=2000)).isoformat(),
        "diet": "standard",
        **overrides,
    }


def test_child_form_refuses_a_birth_date_in_the_future():
    form = ChildForm(child_data(birth_date=(timezone.localdate() + timedelta(days=3)).isoformat()))
    assert not form.is_valid()
    assert form.errors["birth_date"] == ["La date de naissance ne peut pas être dans le futur."]


def test_child_form_wants_a_class_with_a_school():
    form = ChildForm(child_data(school=EstablishmentFactory().pk))
    assert not form.is_valid()
    assert "class_level" in form.errors


def test_child_form_wants_a_school_with_a_class():
    form = ChildForm(child_data(class_level="CP"))
    assert not form.is_valid()
    assert form.errors["school"] == ["Indiquez l'école de l'enfant pour préciser sa classe."]


def test_child_form_offers_only_active_schools():
    school = EstablishmentFactory()
    EstablishmentFactory(is_active=False)
    EstablishmentFactory(kind="creche")
    assert list(ChildForm().fields["school"].queryset) == [school]
