"""Load INSEE's « Code officiel géographique » files: the communes (v_commune_AAAA.csv), the départements
(v_departement_AAAA.csv) or the countries and territories (v_pays_territoire_AAAA.csv), as published on
insee.fr, comma- or semicolon-separated. What each holds is told by its header; the rows the portal uses are
written to COG_DATA_DIR (or --into), which portal.cog then reads instead of the files it ships."""

import csv
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from portal import cog

# ACTUAL in INSEE's countries file: 1 a country, 4 a territory with its own code, 2 a former country,
# 3 a territory without a code of its own (it has its country's): each code is named after its best row.
COUNTRY_RANK = {"1": 0, "4": 1, "2": 2, "3": 3}


def _read(path: Path) -> tuple[list[str], list[dict]]:
    try:
        rows = list(cog._rows(path))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandError(
            _("Impossible de lire %(path)s : %(error)s") % {"path": path, "error": error}
        ) from error
    return (list(rows[0].keys()) if rows else []), rows


def _communes(rows: list[dict]) -> list[list[str]]:
    departement_of = {row["COM"]: row.get("DEP", "") for row in rows if row.get("TYPECOM") == "COM"}
    kept = []
    for row in rows:
        if row.get("TYPECOM") not in cog.COMMUNE_TYPES or not row.get("COM") or not row.get("LIBELLE"):
            continue
        parent = row.get("COMPARENT") or ""
        departement = row.get("DEP") or departement_of.get(parent, "")
        kept.append([row["TYPECOM"], row["COM"], departement, row["LIBELLE"], parent])
    order = {kind: rank for rank, kind in enumerate(cog.COMMUNE_TYPES)}
    kept.sort(key=lambda row: (row[1], order[row[0]]))
    return kept


def _countries(rows: list[dict]) -> list[list[str]]:
    best: dict[str, dict] = {}
    for row in rows:
        code = row.get("COG") or ""
        if not (len(code) == 5 and code.startswith("99") and code.isdigit() and row.get("LIBCOG")):
            continue
        rank = COUNTRY_RANK.get(row.get("ACTUAL", ""), 9)
        if code not in best or rank < COUNTRY_RANK.get(best[code].get("ACTUAL", ""), 9):
            best[code] = row
    kept = [[code, row.get("CODEISO2", ""), row["LIBCOG"]] for code, row in sorted(best.items())]
    if cog.FRANCE not in best:  # INSEE's countries file lists foreign countries only
        kept.insert(0, [cog.FRANCE, "FR", "France"])
    return kept


KINDS = {
    # header columns that tell the file: (file written, its header, rows)
    ("TYPECOM", "COM", "LIBELLE"): (
        cog.COMMUNES,
        ["TYPECOM", "COM", "DEP", "LIBELLE", "COMPARENT"],
        _communes,
    ),
    ("COG", "LIBCOG"): (cog.COUNTRIES, ["COG", "CODEISO2", "LIBCOG"], _countries),
    ("DEP", "LIBELLE"): (
        cog.DEPARTEMENTS,
        ["DEP", "LIBELLE"],
        lambda rows: sorted(
            [row["DEP"], row["LIBELLE"]] for row in rows if row.get("DEP") and row.get("LIBELLE")
        ),
    ),
}


class Command(BaseCommand):
    help = _(
        "Charge un fichier du Code officiel géographique de l'INSEE (communes, départements ou pays et territoires)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            type=Path,
            help=_("v_commune_AAAA.csv, v_departement_AAAA.csv ou v_pays_territoire_AAAA.csv"),
        )
        parser.add_argument(
            "--into", type=Path, help=_("Dossier de destination (par défaut : COG_DATA_DIR).")
        )

    def handle(self, *args, file, into, **options):
        folder = into or (Path(settings.COG_DATA_DIR) if settings.COG_DATA_DIR else None)
        if folder is None:
            raise CommandError(
                _("Indiquez le dossier de destination : réglage COG_DATA_DIR ou option --into.")
            )
        header, rows = _read(file)
        kind = next((kind for columns, kind in KINDS.items() if set(columns) <= set(header)), None)
        if kind is None:
            raise CommandError(
                _("%(path)s n'est pas un fichier du COG de l'INSEE reconnu (colonnes : %(columns)s).")
                % {"path": file, "columns": ", ".join(header) or "—"}
            )
        name, out_header, select = kind
        kept = select(rows)
        if not kept:
            raise CommandError(_("%(path)s ne contient aucune ligne utilisable.") % {"path": file})
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".csv")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(out_header)
            writer.writerows(kept)
        os.replace(temporary, folder / name)
        self.stdout.write(
            _("%(count)d lignes écrites dans %(path)s.") % {"count": len(kept), "path": folder / name}
        )
