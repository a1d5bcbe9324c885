"""The simulator's families: fictitious CAF and MSA allocataires, reached by the pivot identity of one of their adults
(identite routes: the query's parameters; france_connect routes: the identity FranceConnect's checktoken returns).

=========================  ==========================  ==========================================  =====================
who (key)                  FranceConnect identity      case                                        answers
=========================  ==========================  ==========================================  =====================
MARTIN Claire and Karim    — (identité only)           CAF couple, two children: demo family       QF 1069, 38500 €/an
DUBOIS Angela              test                        CAF single parent, one child                QF 715, 21450 €/an
MERCIER Pierre             avec_nom_dusage             MSA family, four children                   QF 905, 54300 €/an
HOCHON Valentin            deux_prenoms                CAF couple, two children, one with AEEH     QF 3619, 152000 €/an
FLEURET Jean               date_naissance_partielle    unknown to the CAF                          404 23003 (EAJE 37003)
MARTIN Vincent             naissance_algerie           the provider is down                        502 37999
LAFORGE Camille            genre_indefini              the API refuses every call: too many        429 00429
D'ARTAGNAN-EPEE Jean-Noël  caracteres_speciaux         the same request is always in progress      409 00015
ROUSSEAU Nadia             — (identité only)           the provider never answers in time          504 37002
=========================  ==========================  ==========================================  =====================

Whatever the family, the API also refuses a token without the route's scope (403 00100): in identité mode, the
commune tokens of COMMUNE_TOKENS (the commune's own, API_PARTICULIER_TOKEN, has both routes); in FranceConnect
mode, an access token FranceConnect granted without every one of FRANCECONNECT_SCOPES. Each address gets 1 000
requests a minute (429 00429 past them), each token 20 a second.

The FranceConnect people are those of franceconnect/sandbox/identities.py (same names and birth data); their
figures follow their DGFiP households (impot_client/sandbox/households.py). The Martins are the local demo
household of cantine/management/commands/seed_demo.py, copied here as data (a simulator imports no démarche):
Léa is born on 14 March, seven years before the current school year's start, and Hugo 300 days ago.

The figures are consistent with each other as the CNAF computes them (prestations left out): parts are 2 for
the parent(s), ½ for each of the first two children, 1 from the third, ½ more per child with AEEH;
QF = base_ressources_annuelles / 12 / parts, rounded down; nombre_enfants_a_charge counts `enfants`."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Outcome(StrEnum):
    ANSWER = "answer"
    UNKNOWN = "unknown"  # 404: no dossier at the CAF
    PROVIDER_DOWN = "provider_down"  # 502
    RATE_LIMITED = "rate_limited"  # 429, whatever the counter says
    IN_PROGRESS = "in_progress"  # 409: "the same request is already being processed", every time
    PROVIDER_TIMEOUT = "provider_timeout"  # 504 37002: the provider did not answer in time


ROUTES = ("quotient_familial", "participation_familiale_eaje")
# Fictitious commune tokens with one route only, for the 403 of a token without the route's scope.
COMMUNE_TOKENS = {
    "jeton-commune-quotient-familial-seul": ("quotient_familial",),
    "jeton-commune-eaje-seul": ("participation_familiale_eaje",),
}
# The FranceConnect scopes (FranceConnect's catalogue) of the data a tariff needs from the france_connect routes:
# quotient familial or resources, allocataires, enfants. A token granted without one of them is refused. The address
# (cnaf_adresse) is a tariff's business nowhere and the portal never asks for it; the contract requires the block,
# so the simulator answers it anyway (API Particulier masks it when the scope is missing).
FRANCECONNECT_SCOPES = ("cnaf_quotient_familial", "cnaf_allocataires", "cnaf_enfants")


class Provider(StrEnum):
    CNAF = "CNAF"
    MSA = "MSA"


def _school_year_start(today: date) -> int:
    """seed_demo's school year: it starts in September."""
    return today.year if today.month >= 9 else today.year - 1


@dataclass(frozen=True, kw_only=True)
class Person:
    birth_name: str  # nom_naissance, as the CAF writes it: upper case
    first_names: str  # prenoms, space-separated
    sex: str  # F or M
    birth_date: str | Callable[[date], str]  # YYYY-MM-DD (00 for an unknown day); a child's may follow today
    usage_name: str | None = None
    birth_commune: str | None = None  # COG code, None when born abroad or not returned

    def born(self, today: date) -> str:
        return self.birth_date(today) if callable(self.birth_date) else self.birth_date

    def fields(self, today: date, *, eaje: bool, called: bool = False) -> dict:
        fields = {
            "nom_naissance": self.birth_name,
            "nom_usage": self.usage_name,
            "prenoms": self.first_names,
            "date_naissance": self.born(today),
            "sexe": self.sex,
        }
        if eaje:  # the EAJE answer adds the birth commune, as a rule for the allocataire called only
            fields["code_cog_insee_commune_naissance"] = self.birth_commune if called else None
        return fields


@dataclass(frozen=True, kw_only=True)
class Family:
    key: str
    label: Promise
    outcome: Outcome = Outcome.ANSWER
    franceconnect: str = ""  # key of the FranceConnect test identity among the adults
    adults: tuple[Person, ...]
    children: tuple[Person, ...] = ()
    provider: Provider = Provider.CNAF
    annual_resources: int = 0  # base_ressources_annuelles.valeur, in euros
    aeeh_children: int = 0
    street: str = ""  # numero_libelle_voie; the town is always 99999 BEAUVAL, the demo commune

    @property
    def parts(self) -> float:
        children = len(self.children)
        return 2 + 0.5 * min(children, 2) + max(children - 2, 0) + 0.5 * self.aeeh_children

    @property
    def quotient_familial(self) -> int:
        return int(self.annual_resources / 12 / self.parts)

    def address(self) -> dict:
        first = self.adults[0]
        title = "Madame" if first.sex == "F" else "Monsieur"
        return {
            "destinataire": f"{title} {first.first_names.split()[0]} {first.usage_name or first.birth_name}",
            "complement_information": None,
            "complement_information_geographique": None,
            "numero_libelle_voie": self.street,
            "lieu_dit": None,
            "code_postal_ville": "99999 BEAUVAL",
            "pays": "FRANCE",
        }

    def members(self, today: date, *, eaje: bool) -> dict:
        return {
            "allocataires": [
                adult.fields(today, eaje=eaje, called=rank == 0) for rank, adult in enumerate(self.adults)
            ],
            "enfants": [child.fields(today, eaje=eaje) for child in self.children],
            "adresse": self.address(),
        }


FAMILIES = {
    family.key: family
    for family in (
        Family(
            key="martin_demo",
            label=_("Couple allocataire de la CAF, deux enfants : la famille de démonstration"),
            adults=(
                Person(
                    birth_name="MARTIN",
                    first_names="CLAIRE",
                    sex="F",
                    birth_date="1988-04-12",
                    birth_commune="69123",
                ),
                Person(birth_name="MARTIN", first_names="KARIM", sex="M", birth_date="1986-11-03"),
            ),
            children=(
                Person(
                    birth_name="MARTIN",
                    first_names="LEA",
                    sex="F",
                    birth_date=lambda today: f"{_school_year_start(today) - 7}-03-14",
                ),
                Person(
                    birth_name="MARTIN",
                    first_names="HUGO",
                    sex="M",
                    birth_date=lambda today: (today - timedelta(days=300)).isoformat(),
                ),
            ),
            annual_resources=38500,
            street="12 RUE DES TILLEULS",
        ),
        Family(
            key="dubois",
            label=_("Parent isolé allocataire de la CAF, un enfant"),
            franceconnect="test",
            adults=(
                Person(
                    birth_name="DUBOIS",
                    first_names="ANGELA CLAIRE LOUISE",
                    sex="F",
                    birth_date="1962-08-24",
                    birth_commune="75107",
                ),
            ),
            children=(Person(birth_name="DUBOIS", first_names="LUCIE", sex="F", birth_date="2012-05-02"),),
            annual_resources=21450,
            street="4 RUE DES ECOLES",
        ),
        Family(
            key="mercier",
            label=_("Famille allocataire de la MSA, quatre enfants"),
            franceconnect="avec_nom_dusage",
            provider=Provider.MSA,
            adults=(
                Person(
                    birth_name="MERCIER",
                    usage_name="DUBOIS",
                    first_names="PIERRE",
                    sex="M",
                    birth_date="1969-03-17",
                    birth_commune="95277",
                ),
                Person(
                    birth_name="LEGRAND",
                    usage_name="MERCIER",
                    first_names="SOPHIE",
                    sex="F",
                    birth_date="1972-06-30",
                ),
            ),
            children=tuple(
                Person(birth_name="MERCIER", first_names=first_names, sex=sex, birth_date=born)
                for first_names, sex, born in (
                    ("THEO", "M", "2008-02-11"),
                    ("INES", "F", "2011-09-23"),
                    ("JULES", "M", "2014-06-05"),
                    ("ROSE", "F", "2019-12-18"),
                )
            ),
            annual_resources=54300,
            street="7 ALLEE DES CHENES",
        ),
        Family(
            key="hochon",
            label=_("Couple allocataire de la CAF, deux enfants dont un bénéficiaire de l'AEEH"),
            franceconnect="deux_prenoms",
            adults=(
                Person(
                    birth_name="HOCHON",
                    first_names="VALENTIN EMMANUEL",
                    sex="M",
                    birth_date="1955-01-01",
                    birth_commune="69674",
                ),
                Person(
                    birth_name="ROCHE",
                    usage_name="HOCHON",
                    first_names="MARIE HELENE",
                    sex="F",
                    birth_date="1968-09-14",
                ),
            ),
            children=(
                Person(birth_name="HOCHON", first_names="EMMA", sex="F", birth_date="2016-04-09"),
                Person(birth_name="HOCHON", first_names="LOUIS", sex="M", birth_date="2023-10-30"),
            ),
            aeeh_children=1,
            annual_resources=152000,
            street="1 PLACE DE LA MAIRIE",
        ),
        Family(
            key="fleuret",
            label=_("Inconnu de la CAF"),
            franceconnect="date_naissance_partielle",
            outcome=Outcome.UNKNOWN,
            adults=(Person(birth_name="FLEURET", first_names="JEAN", sex="M", birth_date="1992-11-00"),),
        ),
        Family(
            key="martin_vincent",
            label=_("Panne du fournisseur de données"),
            franceconnect="naissance_algerie",
            outcome=Outcome.PROVIDER_DOWN,
            adults=(
                Person(
                    birth_name="MARTIN", first_names="VINCENT GUILLAUME", sex="M", birth_date="1963-12-05"
                ),
            ),
        ),
        Family(
            key="laforge",
            label=_("Trop de requêtes : toujours refusé (429)"),
            franceconnect="genre_indefini",
            outcome=Outcome.RATE_LIMITED,
            adults=(Person(birth_name="LAFORGE", first_names="CAMILLE", sex="F", birth_date="1954-08-07"),),
        ),
        Family(
            key="dartagnan",
            label=_("Requête identique déjà en cours : toujours en conflit (409)"),
            franceconnect="caracteres_speciaux",
            outcome=Outcome.IN_PROGRESS,
            adults=(
                Person(
                    birth_name="D'ARTAGNAN-EPEE",
                    first_names="JEAN-NOEL ELIE",
                    sex="M",
                    birth_date="1980-02-29",
                    birth_commune="2A004",
                ),
            ),
        ),
        Family(
            key="rousseau",
            label=_("Le fournisseur de données ne répond pas à temps (504)"),
            outcome=Outcome.PROVIDER_TIMEOUT,
            adults=(
                Person(
                    birth_name="ROUSSEAU",
                    first_names="NADIA",
                    sex="F",
                    birth_date="1979-06-21",
                    birth_commune="44109",
                ),
            ),
        ),
    )
}


def normalized(name: str) -> str:
    """Names as the CAF compares them: upper case, no accents, apostrophes and hyphens as spaces."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(plain.upper().replace("'", " ").replace("-", " ").split())


def _key(birth_name: str, first_names: str, birth_date: str) -> tuple[str, str, str]:
    """Birth name, first given name, birth date (YYYY-MM-DD, 00 for what is unknown)."""
    given = normalized(first_names).split()
    return normalized(birth_name), given[0] if given else "", birth_date


_BY_PERSON = {
    _key(adult.birth_name, adult.first_names, adult.birth_date): family
    for family in FAMILIES.values()
    for adult in family.adults
}


def family_of(birth_name: str, first_names: str, birth_date: str) -> Family | None:
    """The family one of whose adults has this pivot identity, or None."""
    return _BY_PERSON.get(_key(birth_name, first_names, birth_date))


def family_of_franceconnect(identity: dict) -> Family | None:
    """The family of the person a checktoken `identity` describes (FranceConnect's pivot identity), or None."""
    return family_of(
        identity.get("family_name", ""), identity.get("given_name", ""), identity.get("birthdate", "")
    )
