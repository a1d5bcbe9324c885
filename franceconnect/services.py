"""Writes for FranceConnect sign-in: create or find the account by `sub`, link it, refresh the certified identity."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from franceconnect.models import FranceConnectIdentity
from portal import services as portal_services
from portal.models import Adult, Household, User


class SignInRefused(Exception):
    """The sign-in is valid but the portal will not complete it; `message` tells the family why."""

    def __init__(self, reason: str, message):
        super().__init__(reason)
        self.reason = reason
        self.message = message


IDENTITY_FIELDS = [
    "given_name",
    "family_name",
    "preferred_username",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
]


def certified_birth_date(birthdate: str) -> date | None:
    """FranceConnect writes unknown day or month as 00: such a date is kept as text only."""
    try:
        return date.fromisoformat(birthdate)
    except (TypeError, ValueError):
        return None


def _identity_values(claims: dict, acr: str) -> dict:
    values = {field: str(claims.get(field) or "") for field in IDENTITY_FIELDS}
    values["email"] = values["email"].lower()
    values["acr"] = acr
    values["last_login_at"] = timezone.now()
    return values


def _certify_holder(user: User, identity: FranceConnectIdentity) -> None:
    """The account holder's civil status becomes FranceConnect's: read-only from now on."""
    certified = {
        "first_names": identity.given_name,
        "last_name": identity.preferred_username or identity.family_name,
        "birth_date": certified_birth_date(identity.birthdate),
    }
    household = Household.objects.filter(owner=user).first()
    if household is None:
        portal_services.household_create(owner=user, email=identity.email, **certified)
    else:
        portal_services.adult_save(household=household, role=Adult.Role.HOLDER, **certified)


@transaction.atomic
def franceconnect_sign_in(*, claims: dict, acr: str) -> User:
    """The account whose identity has this `sub`, refreshed; a new family account on the first sign-in.

    Never matched by email: an address already used by a confirmed local account stops the sign-in
    and the family is told to link FranceConnect from that account instead; an unconfirmed one is erased.
    """
    values = _identity_values(claims, acr)
    identity = (
        FranceConnectIdentity.objects.select_for_update()
        .select_related("user")
        .filter(sub=claims["sub"])
        .first()
    )
    if identity:
        for field, value in values.items():
            setattr(identity, field, value)
        identity.save(update_fields=list(values))
        _certify_holder(identity.user, identity)
        return identity.user
    if not values["email"]:
        raise SignInRefused(
            "no_email",
            _("FranceConnect n'a pas transmis d'adresse électronique : impossible de créer votre compte."),
        )
    # An account made with this address but never confirmed proves nothing (anyone can type an address): it is
    # erased, and the person FranceConnect certified gets the address.
    portal_services.unconfirmed_accounts().filter(email=values["email"]).delete()
    if User.objects.filter(email=values["email"]).exists():
        raise SignInRefused(
            "email_in_use",
            _(
                "Un compte collectivité utilise déjà l'adresse transmise par FranceConnect. Connectez-vous avec ce "
                "compte, puis liez-le à FranceConnect depuis « Mon espace »."
            ),
        )
    user = User.objects.create_user(email=values["email"], password=None, email_confirmed_at=timezone.now())
    identity = FranceConnectIdentity.objects.create(user=user, sub=claims["sub"], **values)
    _certify_holder(user, identity)
    return user


@transaction.atomic
def franceconnect_link(*, user: User, claims: dict, acr: str) -> FranceConnectIdentity:
    """Attach a FranceConnect identity to the signed-in local account."""
    values = _identity_values(claims, acr)
    existing = FranceConnectIdentity.objects.select_for_update().filter(sub=claims["sub"]).first()
    if existing and existing.user_id != user.pk:
        raise SignInRefused(
            "linked_elsewhere", _("Cette identité FranceConnect est déjà liée à un autre compte du portail.")
        )
    current = FranceConnectIdentity.objects.filter(user=user).first()
    if current and current.sub != claims["sub"]:
        raise SignInRefused(
            "already_linked", _("Votre compte est déjà lié à une autre identité FranceConnect.")
        )
    identity, _created = FranceConnectIdentity.objects.update_or_create(
        user=user, sub=claims["sub"], defaults=values
    )
    _certify_holder(user, identity)
    return identity
