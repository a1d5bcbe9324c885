"""The INSEE COG the core ships: names of birth communes and countries, and the commune picker's search."""

import pytest

from portal import cog


def test_codes_are_named_as_the_insee_names_them():
    assert cog.cog_label("44109") == "Nantes (Loire-Atlantique)"
    assert cog.cog_label("75107") == "Paris 7e Arrondissement (Paris)"
    assert cog.cog_label("2A004") == "Ajaccio (Corse-du-Sud)"
    assert cog.cog_label("97411") == "Saint-Denis (La Réunion)"
    assert cog.cog_label("99100") == "France"
    assert cog.cog_label("99217") == "Japon"
    assert cog.cog_label("99352") == "Algérie"


@pytest.mark.parametrize("code", ["00000", "99999", "ABCDE"])
def test_an_unknown_code_is_shown_as_it_is(code):
    assert cog.cog_label(code) == code


def test_empty_is_empty():
    assert cog.cog_label("") == "" and cog.commune_search("  ") == []


def test_the_country_list_starts_with_france_and_names_each_code_once():
    countries = cog.countries()
    assert countries[0] == cog.Country(code="99100", name="France")
    codes = [country.code for country in countries]
    assert len(codes) == len(set(codes)) > 190
    assert all(code.startswith("99") and len(code) == 5 for code in codes)


def test_every_prefecture_is_found_by_its_name():
    for name, code in [
        ("Bobigny", "93008"),
        ("Nantes", "44109"),
        ("Mamoudzou", "97611"),
        ("Bastia", "2B033"),
    ]:
        assert code in [commune.code for commune in cog.commune_search(name)]


def test_an_ambiguous_name_lists_each_commune_with_its_departement():
    found = [(commune.code, commune.departement) for commune in cog.commune_search("saint denis")]
    assert ("93066", "93") in found and ("97411", "974") in found and ("11339", "11") in found
    assert found[: len(set(found))] == found  # the COMD twin of Saint-Denis (93) is not listed twice
    labels = [commune.label for commune in cog.commune_search("Saint-Denis")]
    assert "Saint-Denis (Seine-Saint-Denis, 93)" in labels


def test_the_departement_typed_after_the_name_narrows_the_search():
    assert [commune.code for commune in cog.commune_search("Saint-Denis (93)")] == ["93066"]
    assert [commune.code for commune in cog.commune_search("st denis 974")] == ["97411"]


def test_accents_hyphens_and_abbreviations_do_not_matter():
    assert cog.commune_search("CHALONS EN CHAMPAGNE")[0].code == "51108"
    assert cog.commune_search("ste maxime")[0].code == "83115"


def test_a_code_finds_its_commune():
    assert [commune.name for commune in cog.commune_search("69123")] == ["Lyon"]


def test_exact_names_come_before_longer_ones():
    assert cog.commune_search("Lyon")[0].code == "69123"
    assert cog.commune_search("Paris")[0].code == "75056"


def test_a_former_commune_merged_into_another_is_found_and_says_so():
    found = cog.commune_search("Pierrefitte-sur-Seine")
    assert found and found[0].kind == "COMD" and "ancienne commune" in found[0].label


def test_the_article_may_be_left_out():
    assert cog.commune_search("Havre")[0].label == "Le Havre (Seine-Maritime, 76)"
    assert cog.commune_search("le havre")[0].code == "76351"
