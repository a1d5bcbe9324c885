"""The holder's page of a local account: the rest of the civil status API Particulier's identity pivot needs,
with a commune picker fed by the INSEE COG that works without JavaScript."""

import re

import pytest
from django.urls import reverse

from api_particulier.identity import household_pivot, pivot_missing
from portal.models import Adult
from portal.signals import household_identity_changed

URL = "/espace/foyer/titulaire/"
BASE = {"first_names": "Claire", "last_name": "Martin", "birth_date": "1988-04-12"}


def holder(household):
    return household.adults.get(role=Adult.Role.HOLDER)


def radio_labels(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r'<label for="id_birth_commune_\d+">(.*?)</label>', html, re.S)
    ]


def test_the_household_pages_have_french_slugs():
    assert reverse("portal:adult_edit", args=["holder"]) == URL
    assert reverse("portal:adult_edit", args=["second_parent"]) == "/espace/foyer/second-parent/"


@pytest.mark.parametrize(
    ("old", "new"),
    [("/espace/foyer/holder/", URL), ("/espace/foyer/second_parent/", "/espace/foyer/second-parent/")],
)
def test_the_english_paths_of_before_move_for_good(family_client, old, new):
    response = family_client.get(old)
    assert (response.status_code, response.url) == (301, new)


def test_the_page_says_why_the_civil_status_is_asked(family_client):
    html = family_client.get(URL).content.decode()
    assert "pour interroger la CAF ou la MSA sans vous demander d'attestation" in html.replace("&#x27;", "'")
    assert 'name="commune_query"' in html and 'name="birth_commune"' not in html  # no list before a name
    options = re.findall(r'<option value="(\d*)"', html)
    assert options[:2] == ["", "99100"]  # France first


def test_a_single_commune_is_taken_at_once(family_client, household):
    response = family_client.post(
        URL, {**BASE, "sex": "F", "birth_country": "99100", "commune_query": "Nantes", "birth_name": ""}
    )
    assert response.status_code == 302
    adult = holder(household)
    assert (adult.sex, adult.birth_country, adult.birth_commune) == ("F", "99100", "44109")
    assert pivot_missing(household) == []
    pivot = household_pivot(household)
    assert pivot.code_cog_insee_commune_naissance == "44109" and pivot.nom_naissance == "Martin"


def test_an_ambiguous_name_proposes_each_commune_with_its_departement_and_keeps_what_was_typed(
    family_client, household
):
    data = {
        **BASE,
        "sex": "F",
        "birth_country": "99100",
        "commune_query": "Saint-Denis",
        "birth_name": "Durand",
    }
    response = family_client.post(URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Plusieurs communes correspondent" in html
    labels = radio_labels(html)
    assert "Saint-Denis (Seine-Saint-Denis, 93)" in labels and "Saint-Denis (La Réunion, 974)" in labels
    assert 'value="Saint-Denis"' in html and 'value="Durand"' in html and 'value="99100" selected' in html
    assert holder(household).birth_commune == ""
    # The error summary links to the list, a fieldset with its legend: a keyboard reaches it.
    assert 'href="#id_birth_commune_0"' in html and "<legend" in html
    response = family_client.post(URL, {**data, "birth_commune": "97411"})
    assert response.status_code == 302
    adult = holder(household)
    assert (adult.birth_commune, adult.birth_name) == ("97411", "Durand")


def test_the_departement_typed_with_the_name_decides(family_client, household):
    family_client.post(URL, {**BASE, "birth_country": "99100", "commune_query": "Saint-Denis 93"})
    assert holder(household).birth_commune == "93066"


def test_an_unknown_name_is_explained_in_french(family_client, household):
    response = family_client.post(URL, {**BASE, "birth_country": "99100", "commune_query": "Zzzville"})
    html = response.content.decode()
    assert "Aucune commune française ne porte ce nom" in html and 'value="Zzzville"' in html
    assert holder(household).birth_commune == ""


def test_a_commune_chosen_for_a_name_since_changed_is_not_kept(family_client, household):
    response = family_client.post(
        URL, {**BASE, "birth_country": "99100", "commune_query": "Saint-Denis", "birth_commune": "44109"}
    )
    assert "Plusieurs communes correspondent" in response.content.decode()
    assert holder(household).birth_commune == ""


def test_born_abroad_needs_no_commune_and_refuses_one(family_client, household):
    response = family_client.post(
        URL, {**BASE, "sex": "M", "birth_country": "99350", "commune_query": "Lyon"}
    )
    assert "ne se renseigne que pour une naissance en France" in response.content.decode()
    response = family_client.post(URL, {**BASE, "sex": "M", "birth_country": "99350", "commune_query": ""})
    assert response.status_code == 302
    adult = holder(household)
    assert (adult.birth_country, adult.birth_commune) == ("99350", "")


def test_a_commune_needs_the_country(family_client, household):
    response = family_client.post(URL, {**BASE, "commune_query": "Nantes"})
    assert "Indiquez le pays de naissance" in response.content.decode()


def test_a_country_outside_the_cog_is_refused(family_client):
    response = family_client.post(URL, {**BASE, "birth_country": "12345"})
    assert response.status_code == 200 and "birth_country" in response.context["form"].errors


def test_the_saved_commune_is_shown_again_checked(family_client, household):
    adult = holder(household)
    adult.birth_country, adult.birth_commune = "99100", "93066"
    adult.save()
    html = family_client.get(URL).content.decode()
    assert 'value="Saint-Denis"' in html
    assert re.search(r'value="93066"[^>]*checked', html)


def test_the_identity_change_still_tells_the_demarches(family_client, household):
    told = []

    def receiver(sender, household, **kwargs):
        told.append(household.pk)

    household_identity_changed.connect(receiver)
    try:
        family_client.post(URL, {**BASE, "birth_date": "1988-04-13", "birth_country": "99100"})
    finally:
        household_identity_changed.disconnect(receiver)
    assert told == [household.pk]


def test_the_second_parent_is_not_asked_the_pivot(family_client):
    html = family_client.get("/espace/foyer/second-parent/").content.decode()
    assert 'name="commune_query"' not in html and 'name="sex"' not in html


def test_the_dashboard_and_the_admin_name_the_birth_place(family_client, household):
    adult = holder(household)
    adult.birth_country, adult.birth_commune = "99100", "44109"
    adult.save()
    html = family_client.get(reverse("portal:dashboard")).content.decode()
    assert "Nantes (Loire-Atlantique), France" in html and "44109" not in html
    from portal.admin import birth_place

    assert birth_place(adult) == "Nantes (Loire-Atlantique), France"
    adult.birth_country, adult.birth_commune = "99352", ""
    assert birth_place(adult) == "Algérie"


def test_the_communes_of_that_very_name_come_alone(family_client):
    html = family_client.post(URL, {**BASE, "birth_country": "99100", "commune_query": "Saint-Denis"}).content
    assert len(radio_labels(html.decode())) == 4  # Aude, Gard, Seine-Saint-Denis, La Réunion


def test_the_beginning_of_a_name_proposes_the_communes_it_begins(family_client, household):
    response = family_client.post(URL, {**BASE, "birth_country": "99100", "commune_query": "Saint-Denis-d'O"})
    labels = radio_labels(response.content.decode())
    assert "Saint-Denis-d'Oléron (Charente-Maritime, 17)" in [
        label.replace("&#x27;", "'") for label in labels
    ]
    assert "Saint-Denis-d'Orques (Sarthe, 72)" in [label.replace("&#x27;", "'") for label in labels]


def test_too_many_communes_ask_for_more(family_client):
    response = family_client.post(URL, {**BASE, "birth_country": "99100", "commune_query": "Saint-Ma"})
    assert "Trop de communes commencent ainsi" in response.content.decode()


def test_the_suggestions_give_back_a_value_the_form_takes_at_once(family_client, household):
    answer = family_client.get("/espace/foyer/communes/", {"q": "saint-denis"}).json()["communes"]
    assert {"value": "Saint-Denis 974", "label": "Saint-Denis (La Réunion, 974)"} in answer
    assert len(answer) == 15
    response = family_client.post(URL, {**BASE, "birth_country": "99100", "commune_query": "Saint-Denis 974"})
    assert response.status_code == 302 and holder(household).birth_commune == "97411"


def test_the_suggestions_need_a_signed_in_family(client):
    assert client.get("/espace/foyer/communes/", {"q": "Nantes"}).status_code == 302


def test_the_page_loads_the_picker_script_from_a_file(family_client):
    html = family_client.get(URL).content.decode()
    assert 'src="/static/portal/commune-picker.js"' in html
    assert 'data-commune-suggestions="/espace/foyer/communes/"' in html
    assert "<script>" not in html  # strict CSP: no inline script


def test_a_code_the_cog_does_not_name_is_kept_as_it_is(family_client, household):
    adult = holder(household)
    adult.birth_country, adult.birth_commune = "99100", "01999"
    adult.save()
    html = family_client.get(URL).content.decode()
    assert 'value="01999"' in html
    response = family_client.post(URL, {**BASE, "birth_country": "99100", "commune_query": "01999"})
    assert response.status_code == 302 and holder(household).birth_commune == "01999"
