"""The simulator's tax households: fictitious, numéros fiscaux 399999…, except the two of FranceConnect's
public data-provider mock (3999999887218, 3999999889221), whose figures are reused.

=============  =========================  ==========================================  ==================================
SPI            FranceConnect identity     Case                                        DGFiP answers
=============  =========================  ==========================================  ==================================
3999990000017  test                       single parent, 1 child                      rfr 21450, 2 parts, D, T, 1 pac
3999990000025  — (SPI only)               couple, 1 child: demo family of `make run`  rfr 38500, 2.5 parts, M, 1 pac
3999990000033  avec_nom_dusage            large family, 4 children (2 alternating)    rfr 54300, 4 parts, M, 4 pac
3999990000041  deux_prenoms               high income                                 rfr 152000, 3 parts, M, 2 pac
3999990000058  genre_indefini             zero income, no pac block                   rfr 0, 1 part, C
3999990000066  caracteres_speciaux        PACS couple, names DGFiP-style              rfr 61200, 2 parts, O, 0 pac
3999990000074  moins_18_ans               declarants are her parents, not her         rfr 46200, 3 parts, M, 2 pac
3999990000082  date_naissance_partielle   no declaration                              410 4101, every year
3999990000090  naissance_algerie          access refused                              403 4031
3999990000108  — (SPI only)               server error                                500 5000, every time
3999990000116  — (SPI only)               slow: answers after the client's timeout    rfr 27800, 1.5 parts, C, 1 pac
3999999887218  — (SPI only)               DUPONT STEPHANE, public mock                rfr 17827, 2.75 parts, M, 1 pac
3999999889221  — (SPI only)               CINQ TATIANA, public mock                   rfr 15396, 4 parts, C, 4 pac
=============  =========================  ==========================================  ==================================

Households that answer have the same figures for the latest published income year and the two before.
A FranceConnect identity reaches its household by its pivot identity; declarant 1 is that person (but for
moins_18_ans, the mismatch case), as DGFiP writes names: upper case, no accents, apostrophes and hyphens
as spaces (« D ARTAGNAN EPEE » for « D'ARTAGNAN-ÉPÉE »). 3999990000074 is also the numéro fiscal to type
on an account whose holder is not a declarant.

Every answer is in the contract's form (SituationsIRAssiettesJAXBbean; tests/impot_client/test_contract.py
validates each): nbPart is a JSON number, a decimal (2.5, 4.0, 2.75) or an integer (4, CINQ); pac is absent
(LAFORGE), bare ({"nbPac": 0}) or detailed (nbPacF, nbPacH); nmUsaDec is sent only when the declarant has a nom
d'usage; sitParIso only when it is "T"; aft with aftDetail (getcommune, getcodePostal) only with dgfip_aft.
The looser forms that circulate (numbers as strings, "2,5", commune/codePostal) are the client's tests' business."""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from franceconnect.sandbox.identities import IDENTITIES


class Outcome(StrEnum):
    ANSWER = "answer"
    SLOW = "slow"  # answers, after IMPOT_SANDBOX_SLOW_SECONDS
    NO_DECLARATION = "no_declaration"
    ACCESS_REFUSED = "access_refused"
    SERVER_ERROR = "server_error"


@dataclass(frozen=True)
class Declarant:
    birth_name: str  # nmNaiDec
    first_names: str  # prnmDec
    birth_date: str  # YYYY-MM-DD, sent as dateNaisDec {jour, mois, annee}
    usage_name: str = ""  # nmUsaDec

    def fields(self, number: int) -> dict:
        year, month, day = self.birth_date.split("-")
        fields = {
            f"nmNaiDec{number}": self.birth_name,
            f"prnmDec{number}": self.first_names,
            f"dateNaisDec{number}": {"jour": day, "mois": month, "annee": year},
        }
        if self.usage_name:
            fields[f"nmUsaDec{number}"] = self.usage_name
        return fields


@dataclass(frozen=True)
class Address:
    street: str  # voie
    postcode: str
    city: str
    complement: str = ""  # complementAdresse: building, flat

    def fields(self) -> dict:
        """aft on one line, and aftDetail spelt as the contract spells it (getcommune, getcodePostal)."""
        parts = (self.complement, self.street, self.postcode, self.city)
        detail = {"voie": self.street, "getcodePostal": self.postcode, "getcommune": self.city}
        if self.complement:
            detail["complementAdresse"] = self.complement
        return {"aft": " ".join(part for part in parts if part), "aftDetail": detail}


@dataclass(frozen=True, kw_only=True)
class Household:
    spi: str
    label: Promise
    outcome: Outcome = Outcome.ANSWER
    franceconnect: str = ""  # key of the FranceConnect test identity who reaches this household
    # What an answer holds (nothing for households that never answer): values encoded as sent.
    declarants: tuple[Declarant, ...] = ()
    rfr: int = 0
    nb_part: float | int = 1.0
    sit_fam: str = "C"
    pac: dict | None = None  # the pac block; None: absent from the answer
    single_parent: bool = False
    address: Address | None = None

    def fields(self) -> dict:
        """Every field of this household's answer, before the granted scopes filter them."""
        fields = {"rfr": self.rfr, "nbPart": self.nb_part, "sitFam": self.sit_fam}
        if self.address:
            fields.update(self.address.fields())
        if self.pac is not None:
            fields["pac"] = self.pac
        if self.single_parent:
            fields["sitParIso"] = "T"
        for number, declarant in enumerate(self.declarants, start=1):
            fields.update(declarant.fields(number))
        return fields


HOUSEHOLDS = {
    household.spi: household
    for household in (
        Household(
            spi="3999990000017",
            label=_("Parent isolé, un enfant"),
            franceconnect="test",
            declarants=(Declarant("DUBOIS", "ANGELA CLAIRE LOUISE", "1962-08-24"),),
            rfr=21450,
            nb_part=2.0,
            sit_fam="D",
            pac={"nbPac": 1, "nbPacF": 1},
            single_parent=True,
            address=Address("4 RUE DES ECOLES", "99999", "BEAUVAL"),
        ),
        Household(
            spi="3999990000025",
            label=_("Couple marié, un enfant : la famille de démonstration"),
            declarants=(
                Declarant("MARTIN", "CLAIRE", "1988-04-12"),
                Declarant("MARTIN", "KARIM", "1986-11-03"),
            ),
            rfr=38500,
            nb_part=2.5,
            sit_fam="M",
            pac={"nbPac": 1, "nbPacF": 1},
            address=Address("12 RUE DES TILLEULS", "99999", "BEAUVAL"),
        ),
        Household(
            spi="3999990000033",
            label=_("Famille nombreuse : quatre enfants, dont deux en résidence alternée"),
            franceconnect="avec_nom_dusage",
            declarants=(
                Declarant("MERCIER", "PIERRE", "1969-03-17", usage_name="DUBOIS"),
                Declarant("LEGRAND", "SOPHIE", "1972-06-30", usage_name="MERCIER"),
            ),
            rfr=54300,
            nb_part=4.0,
            sit_fam="M",
            pac={"nbPac": 4, "nbPacF": 2, "nbPacH": 2},
            address=Address("7 ALLEE DES CHENES", "99999", "BEAUVAL", complement="BAT B"),
        ),
        Household(
            spi="3999990000041",
            label=_("Revenus élevés"),
            franceconnect="deux_prenoms",
            declarants=(
                Declarant("HOCHON", "VALENTIN EMMANUEL", "1955-01-01"),
                Declarant("ROCHE", "MARIE HELENE", "1968-09-14", usage_name="HOCHON"),
            ),
            rfr=152000,
            nb_part=3.0,
            sit_fam="M",
            pac={"nbPac": 2, "nbPacF": 2},
            address=Address("1 PLACE DE LA MAIRIE", "99999", "BEAUVAL"),
        ),
        Household(
            spi="3999990000058",
            label=_("Revenu nul"),
            franceconnect="genre_indefini",
            declarants=(Declarant("LAFORGE", "CAMILLE", "1954-08-07"),),
            rfr=0,
            nb_part=1.0,
            sit_fam="C",
            address=Address("9 RUE DU MOULIN", "99999", "BEAUVAL", complement="APT 3"),
        ),
        Household(
            spi="3999990000066",
            label=_("Couple pacsé, noms écrits à la manière de la DGFiP"),
            franceconnect="caracteres_speciaux",
            declarants=(
                Declarant("D ARTAGNAN EPEE", "JEAN NOEL ELIE", "1980-02-29"),
                Declarant("LE GOFF", "MAELLE", "1983-07-14"),
            ),
            rfr=61200,
            nb_part=2.0,
            sit_fam="O",
            pac={"nbPac": 0},
            address=Address("22 CHEMIN DES VIGNES", "99999", "BEAUVAL"),
        ),
        Household(
            spi="3999990000074",
            label=_("Déclarants autres que la personne connectée (les parents d'une mineure)"),
            franceconnect="moins_18_ans",
            declarants=(
                Declarant("CHAMPION", "ERIC", "1978-05-19"),
                Declarant("BERNARD", "NATHALIE", "1980-01-27", usage_name="CHAMPION"),
            ),
            rfr=46200,
            nb_part=3.0,
            sit_fam="M",
            pac={"nbPac": 2, "nbPacF": 2},
            address=Address("5 IMPASSE DES LILAS", "99999", "BEAUVAL"),
        ),
        Household(
            spi="3999990000082",
            label=_("Aucune déclaration de revenus"),
            franceconnect="date_naissance_partielle",
            outcome=Outcome.NO_DECLARATION,
        ),
        Household(
            spi="3999990000090",
            label=_("Accès refusé par la DGFiP"),
            franceconnect="naissance_algerie",
            outcome=Outcome.ACCESS_REFUSED,
        ),
        Household(
            spi="3999990000108",
            label=_("Erreur du serveur de la DGFiP"),
            outcome=Outcome.SERVER_ERROR,
        ),
        Household(
            spi="3999990000116",
            label=_("Réponse lente, au-delà du délai du portail"),
            outcome=Outcome.SLOW,
            declarants=(Declarant("ROUSSEAU", "MARC", "1979-05-23"),),
            rfr=27800,
            nb_part=1.5,
            sit_fam="C",
            pac={"nbPac": 1, "nbPacF": 1},
            address=Address("18 AVENUE DE LA GARE", "99999", "BEAUVAL"),
        ),
        Household(
            spi="3999999887218",
            label=_("Couple marié, 2,75 parts (jeu de test public de FranceConnect)"),
            declarants=(
                Declarant("DUPONT", "STEPHANE", "1974-03-14"),
                Declarant("LEROY", "SANDRINE", "1976-10-02", usage_name="DUPONT"),
            ),
            rfr=17827,
            nb_part=2.75,
            sit_fam="M",
            pac={"nbPac": 1, "nbPacH": 1},
            address=Address("3 RUE DU PORT", "99999", "BEAUVAL"),
        ),
        Household(
            spi="3999999889221",
            label=_("Célibataire, 4 parts (jeu de test public de FranceConnect)"),
            declarants=(Declarant("CINQ", "TATIANA", "1985-02-11"),),
            rfr=15396,
            nb_part=4,
            sit_fam="C",
            pac={"nbPac": 4, "nbPacF": 4},
            address=Address("30 BOULEVARD DU NORD", "99999", "BEAUVAL"),
        ),
    )
}

# DGFiP finds a FranceConnect user's household from the pivot identity (through the RNIPP), never from
# `sub`, which differs for every service.
_BY_PERSON = {
    (person.given_name, person.family_name, person.birthdate): household
    for household in HOUSEHOLDS.values()
    if household.franceconnect
    for person in (IDENTITIES[household.franceconnect],)
}


def household_of(identity: dict) -> Household | None:
    """The household of the person a checktoken `identity` describes, or None."""
    return _BY_PERSON.get(
        (identity.get("given_name"), identity.get("family_name"), identity.get("birthdate"))
    )
