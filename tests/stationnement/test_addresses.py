"""Reading addresses as DGFiP writes them: at least forty written forms, each with what must come out."""

import pytest

from stationnement.addresses import AddressUnreadable, commune_key, parse, read, street_key

NOISY = ("93160", "NOISY LE GRAND")

# (written form, number, suffix, street, postcode, commune)
FORMS = [
    ("10 RUE DU CENTRE 93160 NOISY LE GRAND", 10, "", "RUE DU CENTRE", *NOISY),
    ("BAT 3 APT 93 10 RUE DU CENTRE 93160 NOISY LE GRAND", 10, "", "RUE DU CENTRE", *NOISY),
    ("APT 12 10 RUE DU CENTRE 93160 NOISY LE GRAND", 10, "", "RUE DU CENTRE", *NOISY),
    ("BATIMENT B ESCALIER 2 ETAGE 4 10 RUE DU CENTRE 93160 NOISY-LE-GRAND", 10, "", "RUE DU CENTRE", *NOISY),
    ("ESC A 10 R DU CENTRE 93160 NOISY LE GRAND", 10, "", "RUE DU CENTRE", *NOISY),
    ("10 R DU CENTRE 93160 NOISY LE GRAND", 10, "", "RUE DU CENTRE", *NOISY),
    ("10 rue du Centre 93160 Noisy-le-Grand", 10, "", "RUE DU CENTRE", *NOISY),
    ("10, rue du Centre, 93160 Noisy-le-Grand", 10, "", "RUE DU CENTRE", *NOISY),
    ("10 BIS RUE DU CENTRE 93160 NOISY LE GRAND", 10, "BIS", "RUE DU CENTRE", *NOISY),
    ("10BIS RUE DU CENTRE 93160 NOISY LE GRAND", 10, "BIS", "RUE DU CENTRE", *NOISY),
    ("10 B RUE DU CENTRE 93160 NOISY LE GRAND", 10, "BIS", "RUE DU CENTRE", *NOISY),
    ("10B R DU CENTRE 93160 NOISY LE GRAND", 10, "BIS", "RUE DU CENTRE", *NOISY),
    ("10 TER RUE DU CENTRE 93160 NOISY LE GRAND", 10, "TER", "RUE DU CENTRE", *NOISY),
    ("10 T RUE DU CENTRE 93160 NOISY LE GRAND", 10, "TER", "RUE DU CENTRE", *NOISY),
    ("10 QUATER RUE DU CENTRE 93160 NOISY LE GRAND", 10, "QUATER", "RUE DU CENTRE", *NOISY),
    ("10 Q RUE DU CENTRE 93160 NOISY LE GRAND", 10, "QUATER", "RUE DU CENTRE", *NOISY),
    ("12 AV DE LA REPUBLIQUE 93160 NOISY LE GRAND", 12, "", "AVENUE DE LA REPUBLIQUE", *NOISY),
    ("12 AVE DE LA REPUBLIQUE 93160 NOISY LE GRAND", 12, "", "AVENUE DE LA REPUBLIQUE", *NOISY),
    ("12 avenue de la République 93160 Noisy-le-Grand", 12, "", "AVENUE DE LA REPUBLIQUE", *NOISY),
    ("3 BD DU GAL DE GAULLE 93160 NOISY LE GRAND", 3, "", "BOULEVARD DU GENERAL DE GAULLE", *NOISY),
    (
        "3 boulevard du Général-de-Gaulle 93160 Noisy-le-Grand",
        3,
        "",
        "BOULEVARD DU GENERAL DE GAULLE",
        *NOISY,
    ),
    ("7 CHE DES VIGNES 93160 NOISY LE GRAND", 7, "", "CHEMIN DES VIGNES", *NOISY),
    ("7 IMP DES LILAS 93160 NOISY LE GRAND", 7, "", "IMPASSE DES LILAS", *NOISY),
    ("1 PL DE LA MAIRIE 93160 NOISY LE GRAND", 1, "", "PLACE DE LA MAIRIE", *NOISY),
    ("2 ALL DES PEUPLIERS 93160 NOISY LE GRAND", 2, "", "ALLEE DES PEUPLIERS", *NOISY),
    ("4 RTE DE VILLIERS 93160 NOISY LE GRAND", 4, "", "ROUTE DE VILLIERS", *NOISY),
    ("5 SQ DU MARCHE 93160 NOISY LE GRAND", 5, "", "SQUARE DU MARCHE", *NOISY),
    ("8 FG SAINT MARTIN 93160 NOISY LE GRAND", 8, "", "FAUBOURG SAINT MARTIN", *NOISY),
    ("8 RUE ST MARTIN 93160 NOISY LE GRAND", 8, "", "RUE SAINT MARTIN", *NOISY),
    ("8 rue Saint-Martin 93160 Noisy-le-Grand", 8, "", "RUE SAINT MARTIN", *NOISY),
    ("9 RUE STE ANNE 93160 NOISY LE GRAND", 9, "", "RUE SAINTE ANNE", *NOISY),
    ("14 RUE D'ALSACE 93160 NOISY LE GRAND", 14, "", "RUE D ALSACE", *NOISY),
    ("14 rue d’Alsace 93160 Noisy-le-Grand", 14, "", "RUE D ALSACE", *NOISY),
    ("22 RUE DE L'EGLISE 93160 NOISY LE GRAND", 22, "", "RUE DE L EGLISE", *NOISY),
    ("22 rue de l'Église 93160 Noisy-le-Grand", 22, "", "RUE DE L EGLISE", *NOISY),
    ("6 QU DE LA MARNE 93160 NOISY LE GRAND", 6, "", "QUAI DE LA MARNE", *NOISY),
    ("11 RUE DU 8 MAI 1945 93160 NOISY LE GRAND", 11, "", "RUE DU 8 MAI 1945", *NOISY),
    ("RUE DU 11 NOVEMBRE 93160 NOISY LE GRAND", None, "", "RUE DU 11 NOVEMBRE", *NOISY),
    ("LIEU DIT LES GRANDS CHAMPS 93160 NOISY LE GRAND", None, "", "LIEU DIT LES GRANDS CHAMPS", *NOISY),
    ("RES LES TILLEULS 15 RUE DES ECOLES 93160 NOISY LE GRAND", 15, "", "RUE DES ECOLES", *NOISY),
    ("RESIDENCE DU PARC BAT C 15 RUE DES ECOLES 93160 NOISY LE GRAND", 15, "", "RUE DES ECOLES", *NOISY),
    ("APT 5 PL DE LA MAIRIE 93160 NOISY LE GRAND", None, "", "PLACE DE LA MAIRIE", *NOISY),
    ("15 RUE DES ECOLES 93160 NOISY LE GRAND CEDEX", 15, "", "RUE DES ECOLES", *NOISY),
    ("15 RUE DES ÉCOLES 93160 NOISY LE GRAND", 15, "", "RUE DES ECOLES", *NOISY),
    ("  15   RUE   DES ECOLES   93160   NOISY LE GRAND ", 15, "", "RUE DES ECOLES", *NOISY),
    ("15 RUE DES ECOLES 93160 NOISY LE GRAND 2", 15, "", "RUE DES ECOLES", *NOISY),
    ("1 RUE DE LA PAIX 75002 PARIS", 1, "", "RUE DE LA PAIX", "75002", "PARIS"),
    ("31 R DE L ABBE GREGOIRE 75006 PARIS", 31, "", "RUE DE L ABBE GREGOIRE", "75006", "PARIS"),
    ("2 PL DU DR SCHWEITZER 93200 ST DENIS", 2, "", "PLACE DU DOCTEUR SCHWEITZER", "93200", "SAINT DENIS"),
    (
        "2 place du Docteur-Schweitzer 93200 Saint-Denis",
        2,
        "",
        "PLACE DU DOCTEUR SCHWEITZER",
        "93200",
        "SAINT DENIS",
    ),
    ("40 CRS MIRABEAU 13100 AIX EN PROVENCE", 40, "", "COURS MIRABEAU", "13100", "AIX EN PROVENCE"),
    ("3 RUE DE L'ŒUVRE 20000 AJACCIO", 3, "", "RUE DE L OEUVRE", "20000", "AJACCIO"),
    ("12RUE DU CENTRE 93160 NOISY LE GRAND", 12, "", "RUE DU CENTRE", *NOISY),
    ("5 A RUE DU CENTRE 93160 NOISY LE GRAND", 5, "A", "RUE DU CENTRE", *NOISY),
]


@pytest.mark.parametrize(("text", "number", "suffix", "street", "postcode", "commune"), FORMS)
def test_every_written_form_is_read(text, number, suffix, street, postcode, commune):
    address = parse(text)
    assert (address.number, address.suffix, address.street, address.postcode, address.commune) == (
        number,
        suffix,
        street,
        postcode,
        commune,
    )


def test_there_are_at_least_forty_forms():
    assert len(FORMS) >= 40


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("R DU CENTRE", "Rue du Centre"),
        ("RUE DU CENTRE", "RUE CENTRE"),
        ("BD DU GAL LECLERC", "Boulevard du Général Leclerc"),
        ("RUE DE L'EGLISE", "rue de l’Église"),
        ("AV JEAN-JAURES", "avenue Jean Jaurès"),
    ],
)
def test_two_spellings_of_one_street_share_their_key(one, other):
    assert street_key(one) == street_key(other)


def test_different_streets_keep_different_keys():
    assert street_key("RUE DU CENTRE") != street_key("AVENUE DU CENTRE")
    assert street_key("RUE SAINT MARTIN") != street_key("RUE SAINTE MARTINE")


def test_communes_compare_without_hyphens_saints_or_cedex():
    assert commune_key("Saint-Denis") == commune_key("ST DENIS") == commune_key("ST DENIS CEDEX")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10 RUE DU CENTRE", "no_postcode"),
        ("", "no_postcode"),
        ("93160 NOISY LE GRAND", "no_postcode"),
        ("APT 3 93160 NOISY", "no_street"),
    ],
)
def test_an_unreadable_address_says_why(text, reason):
    with pytest.raises(AddressUnreadable) as raised:
        parse(text)
    assert raised.value.reason == reason


def test_the_detail_block_wins_when_present():
    address = read(
        "BAT 3 APT 93 10 RUE DU CENTRE 93160 NOISY LE GRAND",
        {
            "complementAdresse": "BAT 3 APT 93",
            "voie": "10 BIS RUE DU CENTRE",
            "getcodePostal": "93160",
            "getcommune": "NOISY LE GRAND",
        },
    )
    assert (address.number, address.suffix, address.street, address.postcode) == (
        10,
        "BIS",
        "RUE DU CENTRE",
        "93160",
    )


def test_the_2020_detail_block_is_read_too():
    address = read("", {"voie": "3 AV FOCH", "codePostal": "75016", "commune": "PARIS"})
    assert (address.number, address.street, address.postcode, address.commune) == (
        3,
        "AVENUE FOCH",
        "75016",
        "PARIS",
    )


def test_an_unusable_detail_block_falls_back_to_the_line():
    address = read("10 RUE DU CENTRE 93160 NOISY LE GRAND", {"voie": "10 RUE DU CENTRE", "getcodePostal": ""})
    assert address.postcode == "93160"
