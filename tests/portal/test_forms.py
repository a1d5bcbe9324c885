from datetime import timedelta

import pytest
from django.utils import timezone

from portal.forms import AdultForm, ChildForm, SignupForm
from portal.models import Adult
from tests.factories import EstablishmentFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_names": "Inès",
    "last_name": "Moreau",
    "birth_date": "1990-06-21",
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


IN_3_DAYS = (timezone.localdate() + timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Indiquez la date de naissance (jour, mois et année)."),
        ("31/02/1990", "Saisissez une date de naissance valide, par exemple 12/04/1988."),
        (IN_3_DAYS, "La date de naissance ne peut pas être dans le futur."),
        (
            "1890-01-01",
            "Cette date de naissance ne semble pas être celle d'un parent : vérifiez le jour, le mois et l'année.",
        ),
        (
            "2020-01-01",
            "Cette date de naissance ne semble pas être celle d'un parent : vérifiez le jour, le mois et l'année.",
        ),
    ],
    ids=["empty", "malformed", "future", "too-old", "a-child"],
)
def test_signup_asks_the_holders_birth_date_in_french(typed, message):
    form = SignupForm({**SIGNUP, "birth_date": typed})
    assert not form.is_valid()
    assert form.errors["birth_date"] == [message]


def test_the_second_parents_birth_date_is_required():
    form = AdultForm({"first_names": "Karim", "last_name": "Martin"})
    assert form.errors["birth_date"] == ["Indiquez la date de naissance (jour, mois et année)."]
    assert AdultForm({"first_names": "Karim", "last_name": "Martin", "birth_date": "1986-11-03"}).is_valid()


def test_a_certified_birth_date_stays_read_only_and_optional():
    """FranceConnect may certify no birth date (a partial one): the holder can still edit their phone."""
    certified = Adult(first_names="Angela", last_name="Dubois", birth_date=None)
    form = AdultForm({"first_names": "Faux", "birth_date": "1950-01-01"}, instance=certified, certified=True)
    assert form.is_valid(), form.errors
    assert form.fields["birth_date"].disabled and form.cleaned_data["birth_date"] is None


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
