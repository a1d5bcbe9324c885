"""Registration plates as residents type them: the SIV format (AA-123-AA, since 2009) and the old FNI one
(123 AB 75), normalised so that « aa123aa », « AA 123 AA » and « AA-123-AA » are one vehicle."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# SIV: two letters, three digits (001 to 999), two letters; I, O and U are never used (arrêté du 9 février 2009).
SIV = re.compile(r"([A-HJ-NP-TV-Z]{2})([0-9]{3})([A-HJ-NP-TV-Z]{2})")
# FNI: a number (1 to 4 digits), one to three letters, the département (2A/2B for Corsica, 971 to 976 overseas).
FNI = re.compile(r"([0-9]{1,4})([A-Z]{1,3})(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])")


def plate_normalise(text: str) -> str:
    """The plate in its canonical form (SIV « AB-123-CD », FNI « 1234 AB 75 »), or a French ValidationError."""
    compact = re.sub(r"[\s\-.]", "", text.upper())
    siv = SIV.fullmatch(compact)
    if siv and siv.group(2) != "000":
        return "-".join(siv.groups())
    fni = FNI.fullmatch(compact)
    if fni and int(fni.group(1)) > 0:
        return " ".join(fni.groups())
    raise ValidationError(
        _(
            "« %(value)s » n'est pas une immatriculation française : saisissez-la comme sur la carte grise, "
            "par exemple AB-123-CD (ou 1234 AB 75 pour les anciennes plaques)."
        )
        % {"value": text.strip()[:20]},
        code="bad_plate",
    )
