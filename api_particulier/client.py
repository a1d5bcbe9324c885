"""A client for API Particulier v3 (DSS: the CAF/MSA quotient familial and the PSU resources for crèches),
configured only by settings.

Two kinds of routes: `identite` (the commune's token, the holder's identity-pivot in the query) and
`france_connect` (the family's FranceConnect access token as the bearer). Every call carries the mandatory
`recipient`, the commune's SIRET. API Particulier allows 20 calls per second per token and 1 000 per minute per
address: both are counted in sliding windows on the cache every worker shares (portal.ratelimit), and a 429 or
an exhausted RateLimit-Remaining holds the route back until its reset. Logs name the call by its correlation id,
route, outcome and duration, never by the family: no identity, amount or token.
"""

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.core.cache import cache

from api_particulier.situation import (
    FRANCE,
    EajeResources,
    FranceConnectTokenRefused,
    IdentityPivot,
    InvalidIdentity,
    InvalidResponse,
    InvalidToken,
    Misconfigured,
    NotFound,
    ParticulierError,
    Person,
    ProviderUnavailable,
    QuotientFamilial,
    RateLimited,
    RateLimitHeaders,
    RequestInProgress,
    ScopeMissing,
)
from portal import ratelimit

logger = logging.getLogger(__name__)

QUOTIENT_FAMILIAL = "quotient_familial"
EAJE = "participation_familiale_eaje"
IDENTITE = "identite"
FRANCE_CONNECT = "france_connect"
PATH = "/v3/dss/{route}/{mode}"
PER_TOKEN = "20/second"  # API Particulier's limits, from its documentation
PER_ADDRESS = "1000/minute"  # every worker of one portal leaves from the same address: one window for all
RETRY_BACKOFF = 0.5  # seconds before the single retry
RETRIED_STATUSES = (502, 504)
FAMILY_WAITING = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)  # slow, not down: no retry
PROVIDERS = {"CNAF": "CAF", "CAF": "CAF", "MSA": "MSA", "CNAV": "CNAV"}
NOT_FOUND_CODES = {"23003": "CAF", "10003": "MSA", "37003": "CNAV"}

sleep = time.sleep  # tests replace it: the backoff must never really wait there

_http_client: httpx.Client | None = None
_http_timeout: float | None = None
_http_lock = threading.Lock()


class _NoIdentityInHttpxLogs(logging.Filter):
    """httpx logs each request's URL at INFO, and on `identite` routes the query holds the identity: those
    lines are dropped, the client logs each call itself without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/v3/dss/" not in record.getMessage()


logging.getLogger("httpx").addFilter(_NoIdentityInHttpxLogs())


def quotient_familial_by_identity(
    identity: IdentityPivot, *, year: int | None = None, month: int | None = None
) -> QuotientFamilial:
    """The QF of the month asked (the current one by default; API Particulier keeps two years)."""
    call = Call(QUOTIENT_FAMILIAL, IDENTITE, settings.API_PARTICULIER_TOKEN)
    return call.quotient_familial(identity_params(identity) + period_params(year, month))


def quotient_familial_by_franceconnect(
    access_token: str, *, year: int | None = None, month: int | None = None
) -> QuotientFamilial:
    call = Call(QUOTIENT_FAMILIAL, FRANCE_CONNECT, access_token)
    return call.quotient_familial(period_params(year, month))


def eaje_resources_by_identity(identity: IdentityPivot) -> EajeResources:
    return Call(EAJE, IDENTITE, settings.API_PARTICULIER_TOKEN).eaje_resources(identity_params(identity))


def eaje_resources_by_franceconnect(access_token: str) -> EajeResources:
    return Call(EAJE, FRANCE_CONNECT, access_token).eaje_resources([])


def identity_params(identity: IdentityPivot) -> list[tuple[str, str]]:
    """The identity as the contract's query parameters; refused before any call when incomplete. The commune
    of birth goes only with France as the country, by its COG code when known, else by name and département."""
    if problems := identity.problems():
        raise InvalidIdentity(f"identity incomplete: {', '.join(problems)}")
    params = [("nomNaissance", identity.nom_naissance.strip())]
    if identity.nom_usage.strip():
        params.append(("nomUsage", identity.nom_usage.strip()))
    prenoms = [prenom.strip() for prenom in identity.prenoms if prenom.strip()]
    params += [("prenoms[]", prenom) for prenom in prenoms[:3]]  # the contract's maxItems
    born = identity.date_naissance
    params += [
        ("anneeDateNaissance", str(born.year)),
        ("moisDateNaissance", str(born.month)),
        ("jourDateNaissance", str(born.day)),
        ("sexeEtatCivil", identity.sexe),
        ("codeCogInseePaysNaissance", identity.code_cog_insee_pays_naissance),
    ]
    if identity.code_cog_insee_pays_naissance == FRANCE:
        if identity.code_cog_insee_commune_naissance:
            params.append(("codeCogInseeCommuneNaissance", identity.code_cog_insee_commune_naissance))
        else:
            params += [
                ("nomCommuneNaissance", identity.nom_commune_naissance.strip()),
                ("codeCogInseeDepartementNaissance", identity.code_cog_insee_departement_naissance),
            ]
    return params


def period_params(year: int | None, month: int | None) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in (("annee", year), ("mois", month)) if value is not None]


def _http() -> httpx.Client:
    """One pooled client per process, rebuilt only when the timeout it bakes in changes."""
    global _http_client, _http_timeout
    with _http_lock:
        if _http_client is None or _http_timeout != settings.API_PARTICULIER_TIMEOUT:
            # The previous client is not closed: another thread may still be using it.
            _http_client = httpx.Client(timeout=httpx.Timeout(settings.API_PARTICULIER_TIMEOUT))
            _http_timeout = settings.API_PARTICULIER_TIMEOUT
        return _http_client


@dataclass(frozen=True)
class ErrorBody:
    """The first of the contract's `errors[]`: its code as a string ("" when none), meta.provider and
    source.parameter; None from `error_body` when the body is not an API Particulier error."""

    code: str
    provider: str
    parameter: str


def error_body(response: httpx.Response) -> ErrorBody | None:
    try:
        body = response.json()
    except ValueError:  # empty, HTML, not UTF-8
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    first = errors[0]
    code = first.get("code")
    code = f"{code:05d}" if isinstance(code, int) and not isinstance(code, bool) else _text(code)
    meta = first.get("meta") if isinstance(first.get("meta"), dict) else {}
    source = first.get("source") if isinstance(first.get("source"), dict) else {}
    provider = PROVIDERS.get(_text(meta.get("provider")).upper(), "")
    return ErrorBody(code, NOT_FOUND_CODES.get(code, provider), _text(source.get("parameter")))


def rate_limit_headers(response: httpx.Response, now: float | None = None) -> RateLimitHeaders:
    """RateLimit-* as integers; Retry-After in seconds or as an HTTP date; without it, the time until the reset."""
    limit, remaining, reset = (
        _integer(response.headers.get(f"RateLimit-{name}")) for name in ("Limit", "Remaining", "Reset")
    )
    now = time.time() if now is None else now
    retry_after = _integer(response.headers.get("Retry-After"))
    if retry_after is None and response.headers.get("Retry-After"):
        try:
            retry_after = max(
                0, round(parsedate_to_datetime(response.headers["Retry-After"]).timestamp() - now)
            )
        except (TypeError, ValueError):
            retry_after = None
    if retry_after is None and reset is not None:
        retry_after = max(0, reset - round(now))
    return RateLimitHeaders(limit, remaining, reset, retry_after)


class Call:
    """One lookup on one route: its attempts share a token and a correlation id (the one of the last attempt)."""

    def __init__(self, route: str, mode: str, token: str):
        self.mode, self.token = mode, token
        self.path = PATH.format(route=route, mode=mode)
        self.name = f"{route}/{mode}"
        # The cache keys name the token by its hash, never the token itself.
        self.token_key = hashlib.sha256(token.encode()).hexdigest()[:32]
        self.correlation_id = ""
        self.meta = None

    def error(self, kind: type[ParticulierError], detail: str, **details) -> ParticulierError:
        return kind(detail, correlation_id=self.correlation_id, **details)

    # -- Limits ----------------------------------------------------------------------------------

    def held_key(self) -> str:
        return f"api_particulier:held:{self.name}:{self.token_key}"

    def take_limits(self) -> None:
        """Refused before calling while API Particulier holds the route back, or when either window is full."""
        held = cache.get(self.held_key())
        if held is not None:
            raise self.error(RateLimited, "held back until RateLimit-Reset", rate_limit=held)
        if not ratelimit.hit(PER_ADDRESS, "api_particulier", "address"):
            raise self.error(
                RateLimited, f"portal limit {PER_ADDRESS}", rate_limit=RateLimitHeaders(retry_after=60)
            )
        if not ratelimit.hit(PER_TOKEN, "api_particulier", "token", self.token_key):
            raise self.error(
                RateLimited, f"portal limit {PER_TOKEN}", rate_limit=RateLimitHeaders(retry_after=1)
            )

    def hold_back(self, response: httpx.Response) -> None:
        """After a 429, or when RateLimit-Remaining reaches 0, no worker calls the route with this token until
        the reset API Particulier gave (a minute when it gave none)."""
        headers = rate_limit_headers(response)
        if response.status_code == 429 or headers.remaining == 0:
            cache.set(
                self.held_key(), headers, max(1, 60 if headers.retry_after is None else headers.retry_after)
            )

    # -- HTTP ------------------------------------------------------------------------------------

    def get(self, params: list[tuple[str, str]]) -> httpx.Response:
        """One GET, once more after the backoff on 502/504 or a connection error; never after a read timeout:
        the family is already waiting, and the provider may have served it."""
        if not (settings.API_PARTICULIER_URL and self.token):
            raise self.error(Misconfigured, "API_PARTICULIER_URL or the token is empty")
        url = settings.API_PARTICULIER_URL.rstrip("/") + self.path
        params = [("recipient", settings.API_PARTICULIER_RECIPIENT), *params]
        retried = False
        while True:
            try:
                response = self.send(url, params)
                if response.status_code not in RETRIED_STATUSES or retried:
                    return response
            except FAMILY_WAITING as error:
                raise self.error(ProviderUnavailable, type(error).__name__) from error
            except httpx.TransportError as error:
                if retried:
                    raise self.error(ProviderUnavailable, type(error).__name__) from error
            except httpx.HTTPError as error:  # e.g. an undecodable body: not worth a retry
                raise self.error(ProviderUnavailable, type(error).__name__) from error
            retried = True
            sleep(RETRY_BACKOFF)

    def send(self, url: str, params: list[tuple[str, str]]) -> httpx.Response:
        self.take_limits()
        self.correlation_id = str(uuid.uuid4())
        started = time.monotonic()
        outcome = ""
        try:
            response = _http().get(url, params=params, headers={"Authorization": f"Bearer {self.token}"})
            outcome = response.status_code
            self.hold_back(response)
            return response
        except httpx.HTTPError as error:
            outcome = type(error).__name__
            raise
        finally:
            logger.info(
                "api_particulier: GET correlation_id=%s route=%s outcome=%s duration_ms=%d",
                self.correlation_id,
                self.name,
                outcome,
                (time.monotonic() - started) * 1000,
            )

    # -- The answer ------------------------------------------------------------------------------

    def data(self, params: list[tuple[str, str]]) -> dict:
        """The answer's `data` object, or the error its status and `errors[].code` stand for."""
        response = self.get(params)
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError as error:
                raise self.error(InvalidResponse, "200 with a body that is not JSON") from error
            data = body.get("data") if isinstance(body, dict) else None
            # The ANTS route's identity_matching is in `meta`.
            self.meta = body.get("meta") if isinstance(body, dict) else None
            if not isinstance(data, dict):
                raise self.error(InvalidResponse, "200 without a data object")
            return data
        raise self.failure(response)

    def failure(self, response: httpx.Response) -> ParticulierError:
        status, body = response.status_code, error_body(response)
        code, provider = (body.code, body.provider) if body else ("", "")
        details = {"status": status, "code": code, "provider": provider}
        detail = f"HTTP {status} {code}".strip()
        if (
            body is None and status < 500 and status != 429
        ):  # not API Particulier's: API_PARTICULIER_URL is wrong
            return self.error(Misconfigured, f"{detail} without an API Particulier error body", **details)
        if status == 404:
            return self.error(NotFound, detail, **details)
        if status == 401:
            kind = FranceConnectTokenRefused if self.mode == FRANCE_CONNECT else InvalidToken
            return self.error(kind, detail, **details)
        if status == 403:
            return self.error(ScopeMissing, detail, **details)
        if status == 409:
            return self.error(RequestInProgress, detail, **details)
        if status == 422:
            kind = Misconfigured if body.parameter == "recipient" or code == "00203" else InvalidIdentity
            return self.error(kind, detail, **details)
        if status == 429:
            return self.error(RateLimited, detail, rate_limit=rate_limit_headers(response), **details)
        if status >= 500:
            return self.error(ProviderUnavailable, detail, **details)
        return self.error(Misconfigured, detail, **details)

    def quotient_familial(self, params: list[tuple[str, str]]) -> QuotientFamilial:
        """Lenient on form (numbers as strings, CNAF or CAF, lists absent), strict on the provider, the value
        and its month: without them the answer is unusable."""
        data = self.data(params)
        qf = data.get("quotient_familial")
        try:
            provider = PROVIDERS[_text(qf.get("fournisseur")).upper()]
            value, year, month = (_count(qf.get(name)) for name in ("valeur", "annee", "mois"))
            if provider == "CNAV" or not 1 <= month <= 12:
                raise ValueError("not a CAF or MSA month")
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise self.error(InvalidResponse, "200 without a usable quotient_familial") from error
        return QuotientFamilial(
            provider=provider,
            value=value,
            year=year,
            month=month,
            calculation_year=_optional_count(qf.get("annee_calcul")),
            calculation_month=_optional_count(qf.get("mois_calcul")),
            allocataires=_people(data.get("allocataires")),
            enfants=_people(data.get("enfants")),
            correlation_id=self.correlation_id,
        )

    def eaje_resources(self, params: list[tuple[str, str]]) -> EajeResources:
        """`base_ressources_annuelles` as the contract's {valeur, annee_calcul}, or a bare number with the year
        beside it; the children counts default to 0 when absent, the resources never do."""
        data = self.data(params)
        parameters = data.get("parametres_calcul_participation_familiale")
        try:
            base = parameters.get("base_ressources_annuelles")
            if isinstance(base, dict):
                resources, year = _count(base.get("valeur")), _count(base.get("annee_calcul"))
            else:
                resources, year = _count(base), _count(parameters.get("annee_calcul"))
            children = _count(parameters.get("nombre_enfants_a_charge") or 0)
            aeeh_children = _count(parameters.get("nombre_enfants_beneficiaire_aeeh") or 0)
        except (AttributeError, TypeError, ValueError) as error:
            raise self.error(InvalidResponse, "200 without usable annual resources") from error
        return EajeResources(
            annual_resources=resources,
            year=year,
            children=children,
            aeeh_children=aeeh_children,
            allocataires=_people(data.get("allocataires")),
            enfants=_people(data.get("enfants")),
            correlation_id=self.correlation_id,
            provider=PROVIDERS.get(_text(parameters.get("fournisseur")).upper(), ""),
        )


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _integer(value) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _count(value) -> int:
    """A whole JSON number or a numeric string, not negative; booleans and None are refused."""
    if isinstance(value, bool) or value is None:
        raise TypeError("not a number")
    number = float(str(value).strip().replace(",", "."))
    if number < 0 or number != int(number):
        raise ValueError("not a whole positive number")
    return int(number)


def _optional_count(value) -> int | None:
    try:
        return _count(value)
    except (TypeError, ValueError):
        return None


def _people(values) -> tuple[Person, ...]:
    """Each person the provider lists; prenoms as a string or a list, the birth date as AAAA-MM-JJ or JJ/MM/AAAA."""
    if not isinstance(values, list):
        return ()
    return tuple(
        Person(
            nom_naissance=_text(value.get("nom_naissance")),
            nom_usage=_text(value.get("nom_usage")),
            prenoms=_prenoms(value.get("prenoms")),
            date_naissance=_birth_date(value.get("date_naissance")),
            sexe=_text(value.get("sexe")).upper(),
            code_cog_insee_commune_naissance=_text(value.get("code_cog_insee_commune_naissance")),
        )
        for value in values
        if isinstance(value, dict)
    )


def _prenoms(value) -> str:
    if isinstance(value, list):
        return " ".join(filter(None, map(_text, value)))
    return _text(value)


def _birth_date(value) -> date | None:
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(_text(value), layout).date()
        except ValueError:
            continue
    return None
