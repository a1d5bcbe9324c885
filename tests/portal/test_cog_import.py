"""manage.py cog_import: INSEE's own COG files replace the shipped ones."""

import pytest
from django.core.management import CommandError, call_command

from portal import cog

# The head of INSEE's v_commune_2025.csv (its real columns), with a commune the shipped file does not have.
COMMUNES = """TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT
COM,01001,84,01,01D,012,5,ABERGEMENT CLEMENCIAT,Abergement-Clémenciat,L'Abergement-Clémenciat,0108,
COM,01999,84,01,01D,012,0,NOUVELLE COMMUNE,Nouvelle-Commune,Nouvelle-Commune,0108,
COMD,01998,84,,01D,012,0,ANCIENNE,Ancienne,Ancienne,,01999
"""
# INSEE's v_pays_territoire_2025.csv, semicolon-separated this time.
COUNTRIES = """COG;ACTUAL;CRPAY;ANI;LIBCOG;LIBENR;ANCNOM;CODEISO2;CODEISO3;CODENUM3
99352;1;;1962;ALGERIE;République algérienne démocratique et populaire;;DZ;DZA;012
99130;1;;;ANDORRE;Principauté d'Andorre;;AD;AND;020
99130;3;99130;;TERRITOIRE D ANDORRE;;;;;
"""


@pytest.fixture
def cog_dir(tmp_path, settings):
    settings.COG_DATA_DIR = str(tmp_path / "cog")
    return tmp_path / "cog"


def test_the_insee_communes_file_replaces_the_shipped_one(tmp_path, cog_dir):
    source = tmp_path / "v_commune_2025.csv"
    source.write_text(COMMUNES, encoding="utf-8")
    call_command("cog_import", str(source))
    assert cog.cog_label("01999") == "Nouvelle-Commune (Ain)"
    assert cog.cog_label("44109") == "44109"  # the shipped file is no longer read
    ancienne = cog.commune_search("ancienne")[0]
    assert (ancienne.code, ancienne.departement, ancienne.kind) == ("01998", "01", "COMD")  # DEP from its parent
    assert cog.commune_search("abergement clemenciat")[0].name == "L'Abergement-Clémenciat"


def test_the_insee_countries_file_keeps_france_first(tmp_path, cog_dir):
    source = tmp_path / "v_pays_territoire_2025.csv"
    source.write_text(COUNTRIES, encoding="utf-8")
    call_command("cog_import", str(source))
    assert [(country.code, country.name) for country in cog.countries()] == [
        ("99100", "France"),
        ("99352", "ALGERIE"),
        ("99130", "ANDORRE"),
    ]
    assert cog.cog_label("44109") == "Nantes (Loire-Atlantique)"  # the communes still come from the shipped file


def test_a_file_that_is_not_the_cog_is_refused_in_french(tmp_path, cog_dir):
    source = tmp_path / "other.csv"
    source.write_text("A,B\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="n'est pas un fichier du COG"):
        call_command("cog_import", str(source))
    assert not (cog_dir / cog.COMMUNES).exists()


def test_a_destination_is_needed(tmp_path, settings):
    settings.COG_DATA_DIR = ""
    source = tmp_path / "v_commune_2025.csv"
    source.write_text(COMMUNES, encoding="utf-8")
    with pytest.raises(CommandError, match="COG_DATA_DIR"):
        call_command("cog_import", str(source))
