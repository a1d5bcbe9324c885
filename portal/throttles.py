"""Limits on what a stranger could repeat against the accounts: wrong passwords and codes on the family and the
agents' sign-in, password-reset and sign-up mails. Each limit is a set of sliding windows (portal.ratelimit, shared by
every worker), some keyed by the account, some by the client's address, some by both.

The account is the address typed, whether or not an account has it, so a refusal reads the same for a registered
address and for an unknown one. Keys never hold the address itself, only its keyed fingerprint."""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import ratelimit

KEY_SALT = "portal.throttles.account"

ACCOUNT = "account"
ADDRESS = "address"
ACCOUNT_AND_ADDRESS = "account+address"


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a reverse proxy the last entry it appended to
    CLIENT_ADDRESS_HEADER (say HTTP_X_FORWARDED_FOR). An IPv6 client counts by its /64, what one subscriber gets."""
    header = settings.CLIENT_ADDRESS_HEADER
    forwarded = request.META.get(header, "") if header else ""
    value = forwarded.split(",")[-1].strip() if forwarded else request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def account_fingerprint(email: str) -> str:
    return salted_hmac(KEY_SALT, (email or "").strip().lower(), algorithm="sha256").hexdigest()[:32]


@dataclass(frozen=True)
class Throttle:
    """One limit: `windows` maps a scope (ACCOUNT, ADDRESS, ACCOUNT_AND_ADDRESS) to the name of the setting holding
    its rates, in the `limits` notation with ";" between windows ("5/15 minutes;20/day")."""

    name: str
    windows: tuple[tuple[str, str], ...]

    def _keyed(self, request, email):
        account, address = account_fingerprint(email), client_address(request)
        keys = {ACCOUNT: (account,), ADDRESS: (address,), ACCOUNT_AND_ADDRESS: (account, address)}
        for scope, setting in self.windows:
            rates = getattr(settings, setting)
            if rates:
                yield rates, ("throttle", self.name, scope, *keys[scope])

    def wait(self, *, request, email: str) -> int:
        """Seconds before one more attempt is allowed; 0 when it is."""
        return max(
            (ratelimit.retry_after(rates, *keys) for rates, keys in self._keyed(request, email)), default=0
        )

    def count(self, *, request, email: str) -> None:
        for rates, keys in self._keyed(request, email):
            ratelimit.hit_all(rates, *keys)


SIGNIN = Throttle(
    "signin",
    (
        (ACCOUNT_AND_ADDRESS, "SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"),
        (ACCOUNT, "SIGNIN_FAILURES_PER_ACCOUNT"),
        (ADDRESS, "SIGNIN_FAILURES_PER_ADDRESS"),
    ),
)
ADMIN_SIGNIN = Throttle(
    "admin-signin",
    (
        (ACCOUNT_AND_ADDRESS, "ADMIN_SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"),
        (ACCOUNT, "ADMIN_SIGNIN_FAILURES_PER_ACCOUNT"),
        (ADDRESS, "ADMIN_SIGNIN_FAILURES_PER_ADDRESS"),
    ),
)
# Wrong codes after the right password: never per account alone, or whoever knows an agent's password could lock
# that agent out from anywhere. The address's own sign-in window counts them too (ADMIN_SIGNIN_CODE).
ADMIN_CODE = Throttle("admin-code", ((ACCOUNT_AND_ADDRESS, "ADMIN_CODE_FAILURES_PER_ACCOUNT_AND_ADDRESS"),))
ADMIN_SIGNIN_CODE = Throttle("admin-signin", ((ADDRESS, "ADMIN_SIGNIN_FAILURES_PER_ADDRESS"),))
PASSWORD_RESET = Throttle(
    "password-reset",
    ((ACCOUNT, "PASSWORD_RESET_MAILS_PER_ACCOUNT"), (ADDRESS, "PASSWORD_RESET_MAILS_PER_ADDRESS")),
)
SIGNUP = Throttle("signup", ((ACCOUNT, "SIGNUP_MAILS_PER_ACCOUNT"), (ADDRESS, "SIGNUP_MAILS_PER_ADDRESS")))


def delay_text(seconds: int) -> str:
    """« 14 minutes », « 45 secondes », « 2 heures »: the real wait, rounded up."""
    if seconds < 60:
        return ngettext("%(count)d seconde", "%(count)d secondes", seconds) % {"count": seconds}
    minutes = -(-seconds // 60)
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = -(-minutes // 60)
    return ngettext("%(count)d heure", "%(count)d heures", hours) % {"count": hours}


def refusal_message(seconds: int) -> str:
    """The same words whether the address has an account or not."""
    return _("Trop de tentatives : par sécurité, patientez %(delay)s avant de réessayer.") % {
        "delay": delay_text(seconds)
    }
