"""Test identities: the public ones of the FranceConnect sandbox (france-connect/sources, citizen base.csv)
and edge cases a client must cope with. Keys are ASCII so they survive forms, URLs and the `sub` hash."""

import hashlib
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from franceconnect.sandbox.keys import derived_secret

# The data providers' scopes (DataPass "API Impôt particulier" for DGFiP, "API Particulier" for the CNAF/MSA): they
# release no userinfo claim, only the right for the data provider to answer, which it learns from checktoken.
DATA_PROVIDER_SCOPES = (
    "dgfip_rfr",
    "dgfip_nbpart",
    "dgfip_sitfam",
    "dgfip_pac",
    "dgfip_pac_nbPac",
    "dgfip_pariso",
    "dgfip_aft",
    "dgfip_annee_n_moins_1",
    "dgfip_annee_n_moins_2_si_indispo_n_moins_1",
    "dgfip_nmNaiDec1",
    "dgfip_nmUsaDec1",
    "dgfip_prnmDec1",
    "dgfip_dateNaisDec1",
    "dgfip_nmNaiDec2",
    "dgfip_nmUsaDec2",
    "dgfip_prnmDec2",
    "dgfip_dateNaisDec2",
    "cnaf_quotient_familial",
    "cnaf_allocataires",
    "cnaf_enfants",
    "cnaf_adresse",
)
# Claims released per scope, as in FranceConnect's fcp-low scopes (v2: no address, no phone).
SCOPE_CLAIMS = {
    "openid": ("sub",),
    "profile": (
        "given_name",
        "given_name_array",
        "family_name",
        "birthdate",
        "gender",
        "preferred_username",
    ),
    "birth": ("birthplace", "birthcountry"),
    "identite_pivot": (
        "given_name",
        "given_name_array",
        "family_name",
        "birthdate",
        "gender",
        "birthplace",
        "birthcountry",
    ),
    "given_name": ("given_name", "given_name_array"),
    "family_name": ("family_name",),
    "birthdate": ("birthdate",),
    "gender": ("gender",),
    "birthplace": ("birthplace",),
    "birthcountry": ("birthcountry",),
    "email": ("email",),
    "preferred_username": ("preferred_username",),
    **dict.fromkeys(DATA_PROVIDER_SCOPES, ()),
}
# The RNIPP pivot identity that checktoken gives data providers.
PIVOT_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
IDENTITY_CLAIMS = (
    "given_name",
    "given_name_array",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
)


@dataclass(frozen=True)
class Identity:
    key: str
    label: Promise
    given_names: tuple[str, ...]
    family_name: str
    gender: str
    birthdate: str  # FranceConnect sends unknown day or month as 00
    birthplace: str  # INSEE commune code, empty when born abroad
    birthcountry: str  # INSEE country code, 99100 = France
    email: str
    preferred_username: str = ""  # nom d'usage

    @property
    def given_name(self) -> str:
        return " ".join(self.given_names)

    def claims(self, scopes) -> dict:
        """The identity claims the granted scopes release (`sub` aside: it depends on the client)."""
        allowed = {claim for scope in scopes for claim in SCOPE_CLAIMS.get(scope, ())}
        values = {
            "given_name": self.given_name,
            "given_name_array": list(self.given_names),
            "family_name": self.family_name,
            "birthdate": self.birthdate,
            "gender": self.gender,
            "birthplace": self.birthplace,
            "birthcountry": self.birthcountry,
            "email": self.email,
        }
        if self.preferred_username:  # absent, not empty, when there is no nom d'usage
            values["preferred_username"] = self.preferred_username
        return {claim: value for claim, value in values.items() if claim in allowed}

    def pivot(self) -> dict:
        """What checktoken tells a data provider about the person, whatever the scopes."""
        return {
            claim: value for claim, value in self.claims(("identite_pivot",)).items() if claim in PIVOT_CLAIMS
        }


IDENTITIES = {
    identity.key: identity
    for identity in (
        Identity(
            key="test",
            label=_("Identité de référence, trois prénoms"),
            given_names=("Angela", "Claire", "Louise"),
            family_name="DUBOIS",
            gender="female",
            birthdate="1962-08-24",
            birthplace="75107",
            birthcountry="99100",
            email="wossewodda-3728@yopmail.com",
        ),
        Identity(
            key="avec_nom_dusage",
            label=_("Avec un nom d'usage"),
            given_names=("Pierre",),
            family_name="MERCIER",
            preferred_username="DUBOIS",
            gender="male",
            birthdate="1969-03-17",
            birthplace="95277",
            birthcountry="99100",
            email="ymmyffarapp-1777@yopmail.com",
        ),
        Identity(
            key="deux_prenoms",
            label=_("Deux prénoms"),
            given_names=("Valentin", "Emmanuel"),
            family_name="HOCHON",
            gender="male",
            birthdate="1955-01-01",
            birthplace="69674",
            birthcountry="99100",
            email="lippizucis-4803@yopmail.com",
        ),
        Identity(
            key="genre_indefini",
            label=_("Genre non précisé"),
            given_names=("Camille",),
            family_name="LAFORGE",
            gender="unspecified",
            birthdate="1954-08-07",
            birthplace="75119",
            birthcountry="99100",
            email="xagreureufadda-6730@yopmail.com",
        ),
        Identity(
            key="naissance_algerie",
            label=_("Né à l'étranger (Algérie) : lieu de naissance vide"),
            given_names=("Vincent", "Guillaume"),
            family_name="MARTIN",
            gender="male",
            birthdate="1963-12-05",
            birthplace="",
            birthcountry="99352",
            email="senossammab-2430@yopmail.com",
        ),
        Identity(
            key="date_naissance_partielle",
            label=_("Date de naissance incomplète (jour inconnu), né au Japon"),
            given_names=("Jean",),
            family_name="FLEURET",
            gender="male",
            birthdate="1992-11-00",
            birthplace="",
            birthcountry="99217",
            email="jean-fleuret@yopmail.com",
        ),
        Identity(
            key="caracteres_speciaux",
            label=_("Apostrophe, traits d'union et accents ; né un 29 février en Corse (2A004)"),
            given_names=("Jean-Noël", "Élie"),
            family_name="D'ARTAGNAN-ÉPÉE",
            gender="male",
            birthdate="1980-02-29",
            birthplace="2A004",
            birthcountry="99100",
            email="jean-noel.dartagnan@example.org",
        ),
        Identity(
            key="moins_18_ans",
            label=_("Mineure (née en 2010)"),
            given_names=("Alice", "Juliette"),
            family_name="CHAMPION",
            gender="female",
            birthdate="2010-11-02",
            birthplace="44109",
            birthcountry="99100",
            email="tonegellaf-0100@yopmail.com",
        ),
    )
}


def pairwise_sub(identity: Identity, client_id: str) -> str:
    """FranceConnect's pairwise `sub`: 64 hex digits and "v1", stable per (service, person), different
    for every service, so that two services cannot correlate their users."""
    secret = derived_secret("pairwise-sub").hex()
    return hashlib.sha256(f"{client_id}{identity.key}{secret}".encode()).hexdigest() + "v1"
