"""The INSEE « Code officiel géographique » (COG): the codes of the communes and of the countries people are born
in, as API Particulier's identity pivot and FranceConnect's civil status carry them.

Read from three CSV files with INSEE's column names (see portal/data/cog/README.md): `communes.csv` (TYPECOM,
COM, DEP, LIBELLE, COMPARENT), `departements.csv` (DEP, LIBELLE) and `pays.csv` (COG, LIBCOG). Each is taken from
the folder the setting COG_DATA_DIR names when it holds it (where `manage.py cog_import` writes INSEE's own files),
else from the files shipped in portal/data/cog/. They are read once per process and again when a file changes."""

import csv
import os
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

FRANCE = "99100"
SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "cog"
COMMUNES, DEPARTEMENTS, COUNTRIES = "communes.csv", "departements.csv", "pays.csv"
# The kinds of INSEE rows a person can be born in: a commune, a Paris/Lyon/Marseille arrondissement, a commune
# déléguée or associée (most often a former commune merged into another, keeping its code).
COMMUNE_TYPES = ("COM", "ARM", "COMD", "COMA")
SEARCH_LIMIT = 30
SUGGESTION_LIMIT = 15


@dataclass(frozen=True)
class Commune:
    code: str
    kind: str  # TYPECOM
    name: str
    departement: str  # code, 2 or 3 characters
    departement_name: str
    parent: str = ""  # COMPARENT: the commune a COMD, COMA or ARM belongs to

    @property
    def label(self) -> str:
        """« Saint-Denis (Seine-Saint-Denis, 93) », and what kind of commune it is when not a plain one."""
        label = f"{self.name} ({self.departement_name}, {self.departement})"
        if self.kind in ("COMD", "COMA"):
            label = _("%(label)s — ancienne commune ou commune déléguée") % {"label": label}
        return label


@dataclass(frozen=True)
class Country:
    code: str
    name: str


@dataclass(frozen=True)
class _Reference:
    communes: dict[str, Commune]  # by code: the plain commune when a COMD shares its code
    by_search_name: tuple[tuple[str, str, Commune], ...]  # (normalized name, without its article, commune)
    countries: tuple[Country, ...]  # France first, then by name

    @property
    def country_names(self) -> dict[str, str]:
        return {country.code: country.name for country in self.countries}


_lock = threading.Lock()
_loaded: dict[tuple, _Reference] = {}


def normalized(text: str) -> str:
    """How names are compared: no accents, upper case, hyphens and apostrophes as spaces, « St » as « Saint »."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    words = plain.replace("-", " ").replace("'", " ").replace("’", " ").split()
    expand = {"ST": "SAINT", "STE": "SAINTE", "STES": "SAINTES", "STS": "SAINTS"}
    return " ".join(expand.get(word, word) for word in words)


ARTICLES = ("LE", "LA", "LES", "L", "AUX", "LAS", "LOS")  # INSEE's TNCC articles, as normalized() leaves them


def _without_article(name: str) -> str:
    first, _space, rest = name.partition(" ")
    return rest if first in ARTICLES and rest else name


def data_file(name: str) -> Path:
    """The file in COG_DATA_DIR when there is one, else the shipped one."""
    folder = getattr(settings, "COG_DATA_DIR", "")
    if folder and (Path(folder) / name).is_file():
        return Path(folder) / name
    return SHIPPED_DIR / name


def _rows(path: Path):
    """INSEE's files are comma-separated since 2019, semicolon-separated before and in some exports: the header
    line tells which."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        header = stream.readline()
        stream.seek(0)
        delimiter = ";" if header.count(";") > header.count(",") else ","
        yield from csv.DictReader(stream, delimiter=delimiter)


def _load(paths: tuple[Path, Path, Path]) -> _Reference:
    communes_path, departements_path, countries_path = paths
    departements = {row["DEP"]: row["LIBELLE"] for row in _rows(departements_path)}
    communes: dict[str, Commune] = {}
    searchable = []
    seen = set()
    for row in _rows(communes_path):
        kind = row["TYPECOM"]
        if kind not in COMMUNE_TYPES:
            continue
        departement = row.get("DEP") or ""
        commune = Commune(
            code=row["COM"],
            kind=kind,
            name=row["LIBELLE"],
            departement=departement,
            departement_name=departements.get(departement, departement),
            parent=row.get("COMPARENT") or "",
        )
        communes.setdefault(commune.code, commune)  # the file lists the COM before its COMD of the same code
        if (commune.code, normalized(commune.name)) not in seen:  # the COMD twin of its own commune
            seen.add((commune.code, normalized(commune.name)))
            searchable.append((normalized(commune.name), _without_article(normalized(commune.name)), commune))
    searchable.sort(key=lambda item: (item[1], item[2].departement, item[2].code))
    countries = [Country(code=row["COG"], name=row["LIBCOG"]) for row in _rows(countries_path)]
    countries.sort(key=lambda country: (country.code != FRANCE, normalized(country.name)))
    return _Reference(communes=communes, by_search_name=tuple(searchable), countries=tuple(countries))


def _reference() -> _Reference:
    paths = (data_file(COMMUNES), data_file(DEPARTEMENTS), data_file(COUNTRIES))
    key = tuple((str(path), os.stat(path).st_mtime_ns) for path in paths)
    with _lock:
        if key not in _loaded:
            _loaded.clear()
            _loaded[key] = _load(paths)
        return _loaded[key]


def commune_get(code: str) -> Commune | None:
    return _reference().communes.get((code or "").strip().upper())


def commune_search(query: str, *, limit: int = SEARCH_LIMIT) -> list[Commune]:
    """The communes whose name is the one typed, then those it begins, by name and département, with or without
    its article (« Havre » finds Le Havre). A COG code finds its commune; « Saint-Denis 93 » or « Saint-Denis
    (93) » keeps the département's."""
    query = (query or "").strip()
    if not query:
        return []
    exact = commune_get(query)
    if exact is not None:
        return [exact]
    words = normalized(query.replace("(", " ").replace(")", " ").replace(",", " ")).split()
    departement = ""
    if len(words) > 1 and any(character.isdigit() for character in words[-1]) and len(words[-1]) <= 3:
        departement = words.pop()
    wanted = " ".join(words)
    if not wanted:
        return []
    found_exact, found_prefix = [], []
    for name, bare, commune in _reference().by_search_name:
        if departement and commune.departement != departement:
            continue
        if wanted in (name, bare):
            found_exact.append(commune)
        elif name.startswith(wanted) or bare.startswith(wanted):
            found_prefix.append(commune)
    return (found_exact + found_prefix)[:limit]


def is_named(commune: Commune, query: str) -> bool:
    """Whether the text typed is this commune's very name (with or without its article, and its département)."""
    words = normalized(query.replace("(", " ").replace(")", " ").replace(",", " ")).split()
    if len(words) > 1 and words[-1] == normalized(commune.departement):
        words.pop()
    wanted = " ".join(words)
    name = normalized(commune.name)
    return wanted in (name, _without_article(name))


def countries() -> tuple[Country, ...]:
    """France first, then the others by name."""
    return _reference().countries


def country_name(code: str) -> str:
    return _reference().country_names.get((code or "").strip(), "")


def cog_label(code: str) -> str:
    """The name of a birth commune or country code, for display; the code itself when the COG does not know it."""
    code = (code or "").strip()
    if not code:
        return ""
    if code.startswith("99") and code.isdigit():
        return country_name(code) or code
    commune = commune_get(code)
    return code if commune is None else f"{commune.name} ({commune.departement_name})"


def adult_birth_place(adult) -> str:
    """« Nantes (Loire-Atlantique), France », « Algérie », or "" when the adult gave neither."""
    parts = [
        cog_label(adult.birth_commune) if adult.birth_country == FRANCE else "",
        cog_label(adult.birth_country),
    ]
    return ", ".join(part for part in parts if part)
