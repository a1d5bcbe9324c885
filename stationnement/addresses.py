"""Reading a postal address as DGFiP writes it (`aft`: « BAT 3 APT 93 10 RUE DU CENTRE 93160 NOISY LE GRAND »,
or its `aftDetail` block) into number, suffix, street, postcode and commune, in a canonical form that a zone's
street segments are compared with.

No maintained library fits (libpostal needs a C library and a 2 GB model; the BAN geocoder needs the network):
this is a small module with its own tests. The canonical form follows La Poste's norm (AFNOR NF Z10-011): upper
case, no accents or punctuation, street types and saints written out; articles are dropped for the comparison only."""

import re
import unicodedata
from dataclasses import dataclass

# Street types and words as La Poste and DGFiP abbreviate them, written out (NF Z10-011, annex of abbreviations).
ABBREVIATIONS = {
    "ALL": "ALLEE",
    "AV": "AVENUE",
    "AVE": "AVENUE",
    "BD": "BOULEVARD",
    "BLD": "BOULEVARD",
    "BOUL": "BOULEVARD",
    "CAR": "CARREFOUR",
    "CHE": "CHEMIN",
    "CHEM": "CHEMIN",
    "CHS": "CHAUSSEE",
    "CITE": "CITE",
    "CRS": "COURS",
    "CTRE": "CENTRE",
    "DOM": "DOMAINE",
    "ESP": "ESPLANADE",
    "FG": "FAUBOURG",
    "FBG": "FAUBOURG",
    "HAM": "HAMEAU",
    "IMP": "IMPASSE",
    "LOT": "LOTISSEMENT",
    "MTE": "MONTEE",
    "PAS": "PASSAGE",
    "PASS": "PASSAGE",
    "PL": "PLACE",
    "PLN": "PLAINE",
    "PRO": "PROMENADE",
    "PROM": "PROMENADE",
    "PRT": "PORTE",
    "QU": "QUAI",
    "QUA": "QUARTIER",
    "R": "RUE",
    "RES": "RESIDENCE",
    "RLE": "RUELLE",
    "RPT": "ROND POINT",
    "RTE": "ROUTE",
    "SEN": "SENTIER",
    "SQ": "SQUARE",
    "TRA": "TRAVERSE",
    "VLA": "VILLA",
    "VLGE": "VILLAGE",
    "ZA": "ZONE ARTISANALE",
    "ZAC": "ZONE D AMENAGEMENT CONCERTE",
    "ZI": "ZONE INDUSTRIELLE",
    "ST": "SAINT",
    "STE": "SAINTE",
    "GAL": "GENERAL",
    "GEN": "GENERAL",
    "MAL": "MARECHAL",
    "MAR": "MARECHAL",
    "PDT": "PRESIDENT",
    "PRES": "PRESIDENT",
    "DR": "DOCTEUR",
    "PROF": "PROFESSEUR",
    "CDT": "COMMANDANT",
    "CNE": "CAPITAINE",
    "LT": "LIEUTENANT",
    "NTRE": "NOTRE",
}
STREET_TYPES = frozenset(
    {full for full in ABBREVIATIONS.values() if " " not in full}
    | {
        "RUE",
        "AVENUE",
        "BOULEVARD",
        "CHEMIN",
        "IMPASSE",
        "PLACE",
        "ALLEE",
        "ROUTE",
        "QUAI",
        "COURS",
        "SQUARE",
    }
    | {"VOIE", "SENTE", "VENELLE", "PARVIS", "MAIL", "LIEU DIT", "ROND POINT", "CLOS", "COTE"}
)
# What comes before the number and names a building, staircase, floor or flat: the keyword and the value after it.
COMPLEMENTS = frozenset(
    {
        "BAT",
        "BATIMENT",
        "BT",
        "APT",
        "APPT",
        "APP",
        "APPARTEMENT",
        "ESC",
        "ESCALIER",
        "ETG",
        "ETAGE",
        "PTE",
        "LOGT",
        "LOGEMENT",
        "ENT",
        "ENTREE",
        "CHAMBRE",
        "CH",
        "BOX",
        "BP",
        "CS",
        "TOUR",
        "IMM",
        "IMMEUBLE",
        "NO",
        "N",
    }
)
# The repetition indices a street number may carry (« 10 BIS »), with their one-letter forms.
SUFFIXES = {"BIS": "BIS", "B": "BIS", "TER": "TER", "T": "TER", "QUATER": "QUATER", "Q": "QUATER"}
SUFFIXES.update({"QUINQUIES": "QUINQUIES", "C": "C", "A": "A", "D": "D"})
ARTICLES = frozenset({"DE", "DU", "DES", "LA", "LE", "LES", "L", "D", "AUX", "AU", "A", "ET"})
POSTCODE = re.compile(r"(?!00)[0-9]{5}")  # the Poste's codes, and fictitious ones (99999) for the simulators
NUMBER = re.compile(r"([0-9]{1,5})([A-Z]*)")


@dataclass(frozen=True)
class Address:
    """An address read from its written form. `street` is canonical (types written out, no accents); `number` is
    None for a street without number (a lieu-dit, a square)."""

    number: int | None
    suffix: str
    street: str
    postcode: str
    commune: str

    @property
    def street_key(self) -> str:
        return street_key(self.street)


class AddressUnreadable(ValueError):
    """The written form holds no street, or no postcode: nothing can be matched."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def plain(text: str) -> str:
    """Upper case without accents, ligatures or punctuation (hyphens and apostrophes become spaces)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^A-Za-z0-9]+", " ", ascii_text).upper().split())


def canonical_street(text: str) -> str:
    """A street name written out: « R DU GAL DE GAULLE » and « Rue du Général-de-Gaulle » give « RUE DU GENERAL
    DE GAULLE »."""
    return " ".join(ABBREVIATIONS.get(word, word) for word in plain(text).split())


def street_key(text: str) -> str:
    """What two spellings of one street share: written out, without articles (« RUE DU CENTRE » = « RUE CENTRE »)."""
    return " ".join(word for word in canonical_street(text).split() if word not in ARTICLES)


def commune_key(text: str) -> str:
    """« Noisy-le-Grand », « NOISY LE GRAND » and « St-Denis » / « Saint Denis » compare equal; CEDEX is dropped."""
    words = [ABBREVIATIONS.get(word, word) if word in ("ST", "STE") else word for word in plain(text).split()]
    while words and (words[-1] == "CEDEX" or words[-1].isdigit()):
        words.pop()
    return " ".join(words)


def _street_part(words: list[str]) -> tuple[int | None, str, str]:
    """Number, suffix and street from the words before the postcode, building and flat complements skipped."""
    index = 0
    while index < len(words):
        word = words[index]
        if word in COMPLEMENTS and index + 1 < len(words):
            index += 2  # the keyword and its value (« APT 93 »)
            continue
        number = NUMBER.fullmatch(word)
        if number is None:
            break
        rest = words[index + 1 :]
        glued = number.group(2)
        if glued and glued not in SUFFIXES:  # « 12RUE » is a number glued to its street type
            rest = [glued, *rest]
            glued = ""
        if not rest:
            break  # a number alone is a complement's value or a postcode's remnant, not a street
        suffix = SUFFIXES.get(glued, "")
        if not suffix and rest[0] in SUFFIXES and len(rest) > 1 and _starts_street(rest[1:]):
            suffix, rest = SUFFIXES[rest[0]], rest[1:]
        return int(number.group(1)), suffix, canonical_street(" ".join(rest))
    rest = words[index:]
    for later in range(
        1, len(rest) - 1
    ):  # « RES LES TILLEULS 15 RUE … »: a residence's name before the number
        number = NUMBER.fullmatch(rest[later])
        if number is not None and not number.group(2) and _starts_street(rest[later + 1 :]):
            return int(number.group(1)), "", canonical_street(" ".join(rest[later + 1 :]))
    return None, "", canonical_street(" ".join(rest))


def _starts_street(words: list[str]) -> bool:
    first = ABBREVIATIONS.get(words[0], words[0]) if words else ""
    return first in STREET_TYPES or (len(words) > 1 and f"{first} {words[1]}" in STREET_TYPES)


def parse(text: str) -> Address:
    """One line as DGFiP's `aft` writes it: complements, number, street, postcode, commune."""
    words = plain(text).split()
    postcodes = [i for i, word in enumerate(words) if POSTCODE.fullmatch(word) and i > 0]
    if not postcodes:
        raise AddressUnreadable("no_postcode")
    at = postcodes[-1]
    number, suffix, street = _street_part(words[:at])
    commune = commune_key(" ".join(words[at + 1 :]))
    if not street:
        raise AddressUnreadable("no_street")
    return Address(number=number, suffix=suffix, street=street, postcode=words[at], commune=commune)


def parse_detail(detail: dict) -> Address:
    """DGFiP's `aftDetail` block (`voie`, `getcodePostal`, `getcommune`; `codePostal`, `commune` in the 2020
    schema): the street line is read as `aft` is, the postcode and commune are taken as given."""
    postcode = plain(str(detail.get("getcodePostal") or detail.get("codePostal") or ""))
    commune = str(detail.get("getcommune") or detail.get("commune") or "")
    voie = str(detail.get("voie") or "")
    if not POSTCODE.fullmatch(postcode):
        raise AddressUnreadable("no_postcode")
    number, suffix, street = _street_part(plain(voie).split())
    if not street:
        raise AddressUnreadable("no_street")
    return Address(
        number=number, suffix=suffix, street=street, postcode=postcode, commune=commune_key(commune)
    )


def read(aft: str = "", detail: dict | None = None) -> Address:
    """The detail block when DGFiP sent a usable one, else the one-line form."""
    if detail and detail.get("voie"):
        try:
            return parse_detail(detail)
        except AddressUnreadable:
            pass
    return parse(aft)
