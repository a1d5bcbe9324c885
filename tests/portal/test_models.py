from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.models import User
from tests.factories import ChildFactory, EstablishmentFactory

pytestmark = pytest.mark.django_db


def test_user_email_is_stored_lowercase():
    user = User.objects.create_user(email="Parent@Example.ORG", password="x")
    assert user.email == "parent@example.org"


def test_email_is_unique():
    User.objects.create_user(email="a@example.org", password="x")
    with pytest.raises(Exception):  # noqa: B017 — IntegrityError, whatever the backend
        User.objects.create_user(email="a@example.org", password="y")


def test_superuser_is_staff_and_active():
    user = User.objects.create_superuser(email="agent@example.org", password="x")
    assert user.is_staff and user.is_superuser and user.is_active


def test_child_born_in_the_future_is_refused():
    child = ChildFactory.build(birth_date=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        child.full_clean(exclude=["household"])
    assert "birth_date" in error.value.message_dict


def test_child_class_level_needs_a_school():
    child = ChildFactory.build(class_level="CP", school=None)
    with pytest.raises(ValidationError) as error:
        child.full_clean(exclude=["household"])
    assert "school" in error.value.message_dict


def test_child_with_school_and_class_is_valid():
    child = ChildFactory(class_level="CP", school=EstablishmentFactory())
    child.full_clean()


@pytest.mark.parametrize(
    ("day", "age"),
    [(date(2026, 3, 13), 2), (date(2026, 3, 14), 3), (date(2027, 1, 1), 3)],
)
def test_child_age_on_counts_whole_years(day, age):
    assert ChildFactory.build(birth_date=date(2023, 3, 14)).age_on(day) == age
