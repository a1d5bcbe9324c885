"""Endpoints of the DGFiP API Impôt particulier simulator, at the real gateway's paths.

Client-credentials tokens live in Django's cache, so every worker sees them; their expiry is checked
against `now()`, which tests move instead of sleeping, and so is the income year DGFiP has published.
In FranceConnect mode the simulator is FranceConnect's DGFiP data provider: it asks the FranceConnect
simulator's checktoken, over HTTP, whom the family's token stands for and which dgfip_* scopes it grants."""

import base64
import re
import secrets
from datetime import UTC, date, datetime
from time import sleep
from urllib.parse import unquote_plus

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from franceconnect.sandbox.views import (
    NO_STORE,
    data_provider_credentials,
    now,
    oauth_error,
    same,
    sandbox_gate,
)
from impot_client.sandbox.households import HOUSEHOLDS, Household, Outcome, household_of

CONTENT_TYPE = "application/prs.dgfip.part.situations.ir.assiettes.v1+json"
TOKEN_TTL = 3600
# The contract's OAuth scopes (securitySchemes.Authorization), and the one situations/ir/assiettes requires.
KNOWN_SCOPES = frozenset(
    {
        "RessourceIR",
        "RessourceIFI",
        "RessourceTHPrincipale",
        "RessourceLEP",
        "RessourceIRFacture",
        "RessourceIRDerniere",
        "RessourceIRDerniere2",
        "RessourceIRMultiple",
    }
)
RESOURCE_SCOPE = "RessourceIR"
NEW_YEAR_FROM = (7, 22)  # income of year N is published on 22 July of N + 1
YEARS_KEPT = 3  # the latest published income year and the two before
# The FranceConnect scope that releases each field of the answer; dgfip_pac_nbPac releases pac.nbPac alone.
FIELD_SCOPES = {
    "rfr": "dgfip_rfr",
    "nbPart": "dgfip_nbpart",
    "sitFam": "dgfip_sitfam",
    "pac": "dgfip_pac",
    "sitParIso": "dgfip_pariso",
    "aft": "dgfip_aft",
    "aftDetail": "dgfip_aft",
    **{
        f"{field}Dec{number}": f"dgfip_{field}Dec{number}"
        for number in (1, 2)
        for field in ("nmNai", "nmUsa", "prnm", "dateNais")
    },
}
# What the portal's DataPass grants in numéro fiscal mode: every field, the address included (use case
# « stationnement résidentiel »); each démarche keeps only what it asked the family's consent for.
SPI_SCOPES = frozenset(FIELD_SCOPES.values())
_TOKEN_CACHE_PREFIX = "impot-sandbox:access-token:"
_SPI = re.compile(r"[0-9]{13}")
_YEAR = re.compile(r"[0-9]{4}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

sandbox_only = sandbox_gate("IMPOT_SANDBOX")


class DgfipError(Exception):
    """An answer in DGFiP's error format, {"erreur": {"codeapp": 4101, "message": "..."}}: the contract names
    the application code `codeapp` (4001, 4002, 4031, 4101, 4102) and the reference its body `erreur`."""

    def __init__(self, status: int, codeapp: int, message: str):
        super().__init__(message)
        self.status = status
        self.codeapp = codeapp
        self.message = message

    def response(self) -> JsonResponse:
        return JsonResponse(
            {"erreur": {"codeapp": self.codeapp, "message": self.message}},
            status=self.status,
            content_type=CONTENT_TYPE,
        )


def latest_income_year(today: date) -> int:
    """The latest income year DGFiP has published on `today`: before 22 July, the year before last."""
    return today.year - 1 if (today.month, today.day) >= NEW_YEAR_FROM else today.year - 2


def _today() -> date:
    """Today, in the portal's time zone, by the clock tests move."""
    return timezone.localdate(datetime.fromtimestamp(now(), tz=UTC))


def _no_result() -> DgfipError:
    return DgfipError(410, 4101, _("aucun résultat pour cet SPI et cette année"))


def _client_credentials(request) -> tuple[str, str]:
    """HTTP Basic (RFC 6749 §2.3.1: form-encoded, then base64) or the form body: DGFiP takes either."""
    scheme, _space, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except ValueError:  # bad base64 or bad UTF-8
        return "", ""
    client_id, _colon, client_secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(client_secret)


@csrf_exempt
@sandbox_only
@require_POST
def token(request):
    client_id, client_secret = _client_credentials(request)
    if not (same(client_id, settings.IMPOT_CLIENT_ID) and same(client_secret, settings.IMPOT_CLIENT_SECRET)):
        return oauth_error("invalid_client", _("Authentification du téléservice refusée."), 401)
    if request.POST.get("grant_type") != "client_credentials":
        return oauth_error(
            "unsupported_grant_type", _("Seul grant_type=client_credentials est accepté."), 400
        )
    scopes = request.POST.get("scope", "").split()
    if not scopes or not KNOWN_SCOPES.issuperset(scopes):  # RFC 6749 §5.2: unknown, or none and no default
        return oauth_error(
            "invalid_scope", _("scope absent ou inconnu : RessourceIR pour situations/ir/assiettes."), 400
        )
    access_token = secrets.token_urlsafe(32)
    cache.set(_TOKEN_CACHE_PREFIX + access_token, (now() + TOKEN_TTL, frozenset(scopes)), timeout=TOKEN_TTL)
    return JsonResponse(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": " ".join(sorted(set(scopes))),
        },
        headers=NO_STORE,
    )


def _check_headers(request) -> None:
    """The gateway's checks, in its order: token, its scope, téléservice, correlation id."""
    scheme, _space, access_token = request.headers.get("Authorization", "").partition(" ")
    record = cache.get(_TOKEN_CACHE_PREFIX + access_token) if scheme.lower() == "bearer" else None
    expiry, scopes = record or (0, frozenset())
    if now() >= expiry:
        raise DgfipError(401, 4010, _("jeton d'accès absent, invalide ou expiré"))
    if RESOURCE_SCOPE not in scopes:
        raise DgfipError(403, 4031, _("le jeton n'a pas le scope RessourceIR de cette ressource"))
    # WSGI passes ID_Teleservice and ID-Teleservice alike as HTTP_ID_TELESERVICE; beware that Django's
    # runserver, like nginx by default, drops header names with an underscore.
    if not same(request.headers.get("ID_Teleservice", ""), settings.IMPOT_ID_TELESERVICE):
        raise DgfipError(403, 4031, _("ID_Teleservice absent ou non autorisé"))
    if not _UUID.fullmatch(request.headers.get("X-Correlation-ID", "")):
        raise DgfipError(400, 4000, _("X-Correlation-ID absent ou mal formé (UUID attendu)"))


def _franceconnect_grant(request) -> tuple[dict, set[str]]:
    """Who the family's FranceConnect token stands for, and the dgfip_* scopes it grants, from
    checktoken, where the simulator authenticates as FranceConnect's DGFiP data provider."""
    client_id, client_secret = data_provider_credentials()
    try:
        response = httpx.post(
            settings.FRANCECONNECT_ISSUER + "/checktoken",
            data={
                "token": request.headers.get("X-FranceConnect-OAuth", ""),
                "client_id": client_id,
                "client_secret": client_secret,
            },
            timeout=settings.IMPOT_TIMEOUT,
        )
        response.raise_for_status()
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise DgfipError(500, 5000, _("erreur technique")) from error
    if answer.get("active") is not True:
        raise DgfipError(401, 4011, _("jeton FranceConnect invalide ou expiré"))
    return answer["identity"], set(answer["scope"].split())


def _years_granted(scopes: set[str], today: date) -> set[int]:
    """DataPass year scopes, relative to the current year N: N-1, and N-2 only while N-1 is not out."""
    last_year = today.year - 1
    years = {last_year} if "dgfip_annee_n_moins_1" in scopes else set()
    if "dgfip_annee_n_moins_2_si_indispo_n_moins_1" in scopes and latest_income_year(today) < last_year:
        years.add(last_year - 1)
    return years


def _play(household: Household) -> None:
    """The failures a household stands for, whatever the year."""
    if household.outcome == Outcome.SERVER_ERROR:
        raise DgfipError(500, 5000, _("erreur technique"))
    if household.outcome == Outcome.ACCESS_REFUSED:
        raise DgfipError(403, 4031, _("accès refusé à cette ressource"))
    if household.outcome == Outcome.NO_DECLARATION:
        raise _no_result()
    if household.outcome == Outcome.SLOW:
        sleep(getattr(settings, "IMPOT_SANDBOX_SLOW_SECONDS", settings.IMPOT_TIMEOUT + 2))


def _released(household: Household, scopes) -> dict:
    fields = household.fields()
    released = {name: value for name, value in fields.items() if FIELD_SCOPES[name] in scopes}
    if "pac" in fields and "pac" not in released and "dgfip_pac_nbPac" in scopes:
        released["pac"] = {"nbPac": fields["pac"]["nbPac"]}
    return released


def _situation(request, year: str, spi: str | None) -> JsonResponse:
    """Both modes, checked in the gateway's order: headers, path, person, household, year."""
    try:
        _check_headers(request)
        if spi is not None and not _SPI.fullmatch(spi):
            raise DgfipError(400, 4001, _("format SPI incorrect"))
        if not _YEAR.fullmatch(year):
            raise DgfipError(400, 4002, _("format de l'année de revenus incorrect"))
        income_year, today = int(year), _today()
        if spi is None:
            identity, scopes = _franceconnect_grant(request)
            household, years_granted = household_of(identity), _years_granted(scopes, today)
        else:
            household, scopes, years_granted = HOUSEHOLDS.get(spi), SPI_SCOPES, None
        if household is None:
            raise DgfipError(410, 4102, _("aucun usager ne correspond à ce SPI ou à cette identité"))
        _play(household)
        latest = latest_income_year(today)
        if income_year > latest:
            raise _no_result()
        if years_granted is not None and income_year not in years_granted:
            raise DgfipError(403, 4031, _("accès refusé à cette année de revenus"))
        if income_year <= latest - YEARS_KEPT:
            raise _no_result()
    except DgfipError as error:
        return error.response()
    return JsonResponse(_released(household, scopes), content_type=CONTENT_TYPE)


@sandbox_only
@require_GET
def situation_franceconnect(request, year):
    return _situation(request, year, spi=None)


@sandbox_only
@require_GET
def situation_spi(request, spi, year):
    return _situation(request, year, spi=spi)
