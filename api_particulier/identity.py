"""Whom the `identite` routes are asked about: the household's holder, from the civil status FranceConnect
certified when the account has one, else from what the holder typed on their page."""

from datetime import date

from api_particulier.situation import FRANCE, IdentityPivot

FRANCECONNECT_SEX = {"female": "F", "male": "M"}


def _franceconnect_pivot(identity) -> IdentityPivot | None:
    try:
        born = date.fromisoformat(identity.birthdate)  # a partial date ("00") cannot be sent
    except ValueError:
        return None
    return IdentityPivot(
        nom_naissance=identity.family_name,
        nom_usage=identity.preferred_username,
        prenoms=tuple(identity.given_name.split()),
        sexe=FRANCECONNECT_SEX.get(identity.gender, ""),
        date_naissance=born,
        code_cog_insee_pays_naissance=identity.birthcountry,
        code_cog_insee_commune_naissance=identity.birthplace if identity.birthcountry == FRANCE else "",
    )


def _holder_pivot(adult) -> IdentityPivot:
    return IdentityPivot(
        nom_naissance=adult.birth_name or adult.last_name,
        nom_usage=adult.last_name if adult.birth_name and adult.birth_name != adult.last_name else "",
        prenoms=tuple(adult.first_names.split()),
        sexe=adult.sex,
        date_naissance=adult.birth_date,
        code_cog_insee_pays_naissance=adult.birth_country,
        code_cog_insee_commune_naissance=adult.birth_commune if adult.birth_country == FRANCE else "",
    )


def household_pivot(household) -> IdentityPivot | None:
    """The holder's identity pivot, or None while something it needs is missing (see `pivot_missing`)."""
    pivot = _pivot(household)
    return pivot if pivot is not None and not pivot.problems() else None


def pivot_missing(household) -> list[str]:
    """What the holder still has to give before the CAF or the MSA can be asked (IdentityPivot.problems names)."""
    pivot = _pivot(household)
    return ["holder"] if pivot is None else pivot.problems()


def _pivot(household) -> IdentityPivot | None:
    franceconnect = getattr(household.owner, "franceconnect", None)
    if franceconnect is not None:
        return _franceconnect_pivot(franceconnect)
    holder = household.adults.filter(role="holder").first()
    return _holder_pivot(holder) if holder is not None else None
