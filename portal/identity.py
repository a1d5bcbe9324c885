"""Keyed fingerprints of who a person is (name, first given name, birth date): a State answer's people are
compared with a household's adults on them, and a change of an adult's identity is noticed, without storing names."""

import re
import unicodedata
from contextlib import contextmanager

from django.utils.crypto import salted_hmac

from portal.signals import household_identity_changed

# The value predates the move to the core: fingerprints already stored were made with it.
IDENTITY_KEY_SALT = "impot_client.services.identity_key"


def _normalised(value: str) -> str:
    """Upper case, no accents, words only: DGFiP writes « D ARTAGNAN EPEE » for « d'Artagnan-Épée »."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Za-z]+", " ", ascii_only).upper().split())


def identity_key(name: str, first_names: str, birth_date) -> str | None:
    """A keyed fingerprint (HMAC-SHA256, key derived from SECRET_KEY) of a normalised name, first given name and
    birth date: two people compare equal on it as on the clear values, yet the declarants' names are never stored.
    None when something is missing: an incomplete identity matches nobody."""
    name, first = _normalised(name), _normalised(first_names).split()
    if not (name and first and birth_date):
        return None
    value = f"{name}|{first[0]}|{birth_date.isoformat()}"
    return salted_hmac(IDENTITY_KEY_SALT, value, algorithm="sha256").hexdigest()


def household_identity_keys(household) -> set[str]:
    """The fingerprints of the household's adults, as typed by the family."""
    keys = {
        identity_key(adult.last_name, adult.first_names, adult.birth_date) for adult in household.adults.all()
    }
    return keys - {None}


def people_identity_keys(people) -> list[str]:
    """The fingerprints of the people a State answer lists (API Particulier's allocataires or children: nom de
    naissance, nom d'usage, prénoms, date de naissance), each under both names."""
    keys = {
        identity_key(name, person.prenoms, person.date_naissance)
        for person in people
        for name in (person.nom_naissance, person.nom_usage)
    }
    return sorted(keys - {None})


@contextmanager
def identity_watched(household):
    """Around a change of the household's adults: if a fingerprint changes, or an adult comes or goes, whatever
    was matched against them (tax data obtained by numéro fiscal…) is told through household_identity_changed."""
    before = household_identity_keys(household)
    yield
    if household_identity_keys(household) != before:
        household_identity_changed.send(sender=household.__class__, household=household)
