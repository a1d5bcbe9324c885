import pytest
from django.core.exceptions import ValidationError

from stationnement.plates import plate_normalise


@pytest.mark.parametrize(
    ("typed", "plate"),
    [
        ("AB-123-CD", "AB-123-CD"),
        ("ab123cd", "AB-123-CD"),
        (" AB 123 CD ", "AB-123-CD"),
        ("ab.123.cd", "AB-123-CD"),
        ("1234 AB 75", "1234 AB 75"),
        ("1234ab75", "1234 AB 75"),
        ("12 ABC 2A", "12 ABC 2A"),
        ("7 A 974", "7 A 974"),
    ],
)
def test_plates_are_normalised(typed, plate):
    assert plate_normalise(typed) == plate


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "AB-000-CD",
        "AI-123-CD",
        "AB-123-CO",
        "AB-1234-CD",
        "ABC-123-DE",
        "0 AB 75",
        "123 AB 96",
        "123 AB 977",
        "XYZ",
    ],
)
def test_impossible_plates_are_refused_in_french(typed):
    with pytest.raises(ValidationError) as raised:
        plate_normalise(typed)
    assert "n'est pas une immatriculation française" in raised.value.messages[0]
