"""A client for DGFiP's API Impôt particulier (resource situations/ir/assiettes), configured only by settings.

Two modes: FranceConnect (the family's FC access token goes in a header) and numéro fiscal (in the path).
The client-credentials token lives in Django's cache and the per-minute quota in a sliding window on the same
store (portal.ratelimit), so that every worker shares them. The token is requested single-flight: however many
threads and workers find it missing or expired at once, one of them asks DGFiP (a lock per process, a lease in the
shared cache across processes) and the others wait for its token. Logs name the call by its correlation id, never by
the family: no numéro fiscal, name, amount or token.
"""

import logging
import re
import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from functools import partial

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from impot_client.situation import (
    AccessRefused,
    Address,
    Declarant,
    GatewayMisconfigured,
    ImpotError,
    ImpotUnavailable,
    IncompleteAnswer,
    InvalidResponse,
    InvalidTaxNumber,
    NoDeclaration,
    QuotaReached,
    TaxAddress,
    TaxSituation,
)
from portal import ratelimit
from portal.resilience import CACHE_ERRORS

logger = logging.getLogger(__name__)

ACCEPT = "application/prs.dgfip.part.situations.ir.assiettes.v1+json, application/json"
TOKEN_MARGIN_SECONDS = 60  # a cached token is dropped this long before DGFiP expires it
DEFAULT_TOKEN_LIFETIME = 300  # when the token answer has no expires_in; a 401 refreshes it anyway
NUMERO_FISCAL = re.compile(r"[0-9]{13}")
SPI_IN_PATH = re.compile(r"/spi/[0-9]{13}/")
FAMILY_WAITING = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)  # slow, not down: no retry

sleep = time.sleep  # tests replace it: the backoff must never really wait there
LEASE_POLL_SECONDS = 0.05  # how often a worker waiting for another's token request looks for the token
poll = time.sleep  # the wait between two looks; tests replace it to know a worker is waiting

_token_lock = threading.Lock()  # one token request at a time in this process

_http_client: httpx.Client | None = None
_http_config: tuple | None = None
_http_lock = threading.Lock()


class _NoNumeroFiscalInHttpxLogs(logging.Filter):
    """httpx logs each request's URL at INFO, and in numéro fiscal mode the path holds the numéro fiscal:
    those lines are dropped, the client logs each call itself without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not SPI_IN_PATH.search(record.getMessage())


logging.getLogger("httpx").addFilter(_NoNumeroFiscalInHttpxLogs())


def latest_income_year(today: date) -> int:
    """Income of year N is taxed in N+1: the latest year DGFiP may know."""
    return today.year - 1


def franceconnect_lookup(access_token: str) -> "Lookup":
    return Lookup("franceconnect", "", {"X-FranceConnect-OAuth": access_token})


def numero_fiscal_lookup(numero_fiscal: str) -> "Lookup":
    """Spaces typed inside the number are dropped; anything but 13 digits is refused before any call."""
    spi = "".join(numero_fiscal.split())
    if not NUMERO_FISCAL.fullmatch(spi):  # checked here: it goes into the URL path, and costs quota
        raise InvalidTaxNumber("numéro fiscal: not 13 digits")
    return Lookup("numero_fiscal", f"/spi/{spi}", {})


def fetch_with_franceconnect(access_token: str, *, today: date | None = None) -> TaxSituation:
    """The situation of the family signed in with FranceConnect; their access token lives 60 seconds."""
    return franceconnect_lookup(access_token).run(today)


def fetch_by_numero_fiscal(numero_fiscal: str, *, today: date | None = None) -> TaxSituation:
    """The situation of the foyer the number belongs to: the caller checks its declarants are the family."""
    return numero_fiscal_lookup(numero_fiscal).run(today)


def fetch_address_with_franceconnect(
    access_token: str, *, today: date | None = None, with_income: bool = False
) -> TaxAddress:
    """The address of the family signed in with FranceConnect (a token with the dgfip_aft scope); `with_income`
    reads the RFR and parts of the same answer too (a token also granted dgfip_rfr and dgfip_nbpart)."""
    lookup = franceconnect_lookup(access_token)
    return lookup.run(today, read=partial(lookup.parse_address, with_income=with_income))


def fetch_address_by_numero_fiscal(
    numero_fiscal: str, *, today: date | None = None, with_income: bool = False
) -> TaxAddress:
    """The address of the foyer the number belongs to: the caller checks its declarants are the applicant."""
    lookup = numero_fiscal_lookup(numero_fiscal)
    return lookup.run(today, read=partial(lookup.parse_address, with_income=with_income))


def _http() -> httpx.Client:
    """One pooled client per process, rebuilt only when the settings it bakes in change."""
    global _http_client, _http_config
    cert, key = settings.IMPOT_CLIENT_CERT, settings.IMPOT_CLIENT_KEY
    config = (settings.IMPOT_TIMEOUT, cert, key)
    with _http_lock:
        if _http_client is None or _http_config != config:
            verify = True
            if cert and key:  # mTLS; httpx 0.28 deprecates cert=, the SSL context is the supported way
                verify = httpx.create_ssl_context()
                try:
                    verify.load_cert_chain(cert, key)
                except OSError as error:  # ssl.SSLError too: a deployment problem, for the agents
                    raise AccessRefused("mTLS certificate or key unreadable") from error
            # The previous client is not closed: another thread may still be using it.
            _http_client = httpx.Client(timeout=httpx.Timeout(settings.IMPOT_TIMEOUT), verify=verify)
            _http_config = config
        return _http_client


def _take_quota(correlation_id: str) -> None:
    """Count one call against the quota shared by all workers: no 60-second window holds more."""
    try:
        allowed = ratelimit.hit(f"{settings.IMPOT_QUOTA_PER_MINUTE}/minute", "impot_client", "quota")
    except ratelimit.Unavailable as error:  # a quota that cannot be counted refuses: no call goes uncounted
        logger.warning("impot_client: quota store unavailable (%s), no call made", error)
        raise ImpotUnavailable("quota store unavailable", correlation_id=correlation_id) from error
    if not allowed:
        logger.warning("impot_client: quota of %d calls per minute reached", settings.IMPOT_QUOTA_PER_MINUTE)
        raise QuotaReached("quota reached", correlation_id=correlation_id)


def _dgfip_error(response: httpx.Response) -> str | None:
    """DGFiP's application code as a string ("" when its error body has none), or None when the body is not
    a DGFiP error (empty, HTML, a web server's own JSON). The contract names the code `codeapp` but gives
    no body schema: {"erreur": {"codeapp"|"code": ...}} and a top-level codeapp are all read."""
    try:
        body = response.json()
    except ValueError:  # empty or not JSON (json.JSONDecodeError and UnicodeDecodeError alike)
        return None
    if not isinstance(body, dict):
        return None
    erreur = body.get("erreur")
    if isinstance(erreur, list) and erreur:  # a list of errors: the first one decides
        erreur = erreur[0]
    if isinstance(erreur, dict):
        code = erreur.get("codeapp", erreur.get("code"))
    elif "codeapp" in body:
        code = body["codeapp"]
    else:
        return None
    return "" if code is None else str(code).strip()


class Lookup:
    """One family's lookup: its calls share a mode and a path, and errors carry the last correlation id.
    `year` is the income year last asked, `token_requests` how many token requests the lookup made."""

    def __init__(self, mode: str, spi_path: str, headers: dict[str, str]):
        self.mode = mode
        self.spi_path = spi_path
        self.headers = headers
        self.correlation_id = ""
        self.year: int | None = None
        self.token_requests = 0
        self.sent_token = ""  # the token of the last call: a 401 drops it only if it is still the cached one

    def run(self, today: date | None = None, *, year: int | None = None, read=None):
        """Latest income year first, then the year before once: the new year opens in late July.
        With `year`, that year only. `read` makes the answer's typed value (the income situation by default)."""
        latest = latest_income_year(today or timezone.localdate())
        years = (year,) if year else (latest, latest - 1)
        for asked in years:
            response = self.get(asked)
            if not self.nothing_that_year(response):
                return self.situation(response, asked, read or self.parse)
        raise self.error(NoDeclaration, f"years {', '.join(map(str, years))} not available")

    def error(self, kind: type[ImpotError], detail: str) -> ImpotError:
        return kind(detail, correlation_id=self.correlation_id)

    @staticmethod
    def nothing_that_year(response: httpx.Response) -> bool:
        """The status decides first: 410 (but 4102, a number matching nobody) and a 404 that DGFiP wrote;
        then 400/4002, the year refused."""
        status, code = response.status_code, _dgfip_error(response)
        return (
            (status == 410 and code != "4102")
            or (status == 404 and code is not None)
            or (status == 400 and code == "4002")
        )

    # -- HTTP ------------------------------------------------------------------------------------

    def with_retry(self, send) -> httpx.Response:
        """send() once more, after the backoff, when it failed on a 5xx or a connection error; never after
        another 4xx, nor after a read timeout: the family is already waiting, and DGFiP may have served it."""
        retried = False
        while True:
            try:
                response = send()
                if response.status_code < 500 or retried:
                    return response
            except FAMILY_WAITING as error:
                raise self.error(ImpotUnavailable, type(error).__name__) from error
            except httpx.TransportError as error:
                if retried:
                    raise self.error(ImpotUnavailable, type(error).__name__) from error
            except httpx.HTTPError as error:  # e.g. an undecodable body: not worth a retry
                raise self.error(ImpotUnavailable, type(error).__name__) from error
            retried = True
            sleep(settings.IMPOT_RETRY_BACKOFF)

    def token(self) -> str:
        """The client-credentials token shared by all workers, requested once per lifetime, single-flight."""
        key = self.token_key()
        try:
            token = cache.get(key)
            if token is not None:
                return token
            with _token_lock:  # the other threads of this process wait here, then find the token cached
                token = cache.get(key)
                if token is not None:
                    return token
                lease = f"{key}:lease"
                # Across processes: whoever adds the lease asks DGFiP; the others wait for the token it caches. The
                # lease outlives the longest token request (two timeouts and the backoff), so a worker killed while
                # holding it delays the others by that much at most.
                lease_seconds = int(2 * settings.IMPOT_TIMEOUT + settings.IMPOT_RETRY_BACKOFF) + 5
                while not cache.add(lease, self.correlation_id or "lease", lease_seconds):
                    poll(LEASE_POLL_SECONDS)
                    token = cache.get(key)
                    if token is not None:
                        return token
                try:
                    token = cache.get(key)  # cached between our last look and the lease
                    if token is None:
                        token, lifetime = self.fetch_token()
                        cache.set(key, token, lifetime - TOKEN_MARGIN_SECONDS)  # zero or less: not cached
                finally:
                    cache.delete(lease)
        except CACHE_ERRORS as error:  # without the shared cache every call would ask a token: refused instead
            raise self.error(ImpotUnavailable, f"token cache: {type(error).__name__}") from error
        return token

    def token_key(self) -> str:
        """One token per endpoint, client and scope: a token of another scope would be refused."""
        return ":".join(
            (
                "impot_client:token",
                settings.IMPOT_TOKEN_URL,
                settings.IMPOT_CLIENT_ID,
                settings.IMPOT_TOKEN_SCOPE,
            )
        )

    def fetch_token(self) -> tuple[str, int]:
        response = self.with_retry(self.post_token)
        if response.status_code >= 500:
            raise self.error(ImpotUnavailable, f"token endpoint: HTTP {response.status_code}")
        if response.status_code != 200:  # wrong client id, secret, scope or certificate: agents must act
            raise self.error(AccessRefused, f"token endpoint: HTTP {response.status_code}")
        try:
            body = response.json()
            token, lifetime = body["access_token"], int(body.get("expires_in", DEFAULT_TOKEN_LIFETIME))
            if not token or not isinstance(token, str):
                raise ValueError("empty access_token")
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise self.error(InvalidResponse, "token endpoint: unreadable answer") from error
        return token, lifetime

    def post_token(self) -> httpx.Response:
        """One token request, for the scope of the resource the portal calls (the contract's security)."""
        self.token_requests += 1
        started = time.monotonic()
        outcome = ""
        try:
            response = _http().post(
                settings.IMPOT_TOKEN_URL,
                auth=(settings.IMPOT_CLIENT_ID, settings.IMPOT_CLIENT_SECRET),
                data={"grant_type": "client_credentials", "scope": settings.IMPOT_TOKEN_SCOPE},
            )
            outcome = response.status_code
            return response
        except httpx.HTTPError as error:
            outcome = type(error).__name__
            raise
        finally:
            logger.info(
                "impot_client: token request outcome=%s duration_ms=%d",
                outcome,
                (time.monotonic() - started) * 1000,
            )

    def get(self, year: int) -> httpx.Response:
        """One year's resource, retried as `with_retry` says, and once with a new token after a 401."""
        self.year = year
        url = f"{settings.IMPOT_API_URL}{self.spi_path}/situations/ir/assiettes/annrev/{year}"
        response = self.with_retry(lambda: self.send(url, year))
        if response.status_code == 401:
            # The next send asks for a new one, unless another thread or worker has already replaced it.
            key = self.token_key()
            if cache.get(key) == self.sent_token:
                cache.delete(key)
            response = self.with_retry(lambda: self.send(url, year))
        return response

    def send(self, url: str, year: int) -> httpx.Response:
        _take_quota(self.correlation_id)  # first: over the quota, not even a token request
        token = self.sent_token = self.token()
        self.correlation_id = str(uuid.uuid4())
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Correlation-ID": self.correlation_id,
            settings.IMPOT_TELESERVICE_HEADER: settings.IMPOT_ID_TELESERVICE,
            "Accept": ACCEPT,
            **self.headers,
        }
        http = _http()
        started = time.monotonic()
        outcome = ""
        try:
            response = http.get(url, headers=headers)
            outcome = response.status_code
            return response
        except httpx.HTTPError as error:
            outcome = type(error).__name__
            raise
        finally:
            logger.info(
                "impot_client: GET correlation_id=%s mode=%s year=%s outcome=%s duration_ms=%d",
                self.correlation_id,
                self.mode,
                year,
                outcome,
                (time.monotonic() - started) * 1000,
            )

    # -- The answer ------------------------------------------------------------------------------

    def situation(self, response: httpx.Response, year: int, read):
        """The answer read by `read`, or the error its status and DGFiP code stand for."""
        status = response.status_code
        if status == 200:
            return read(response, year)
        code = _dgfip_error(response)
        detail = f"HTTP {status} {code or ''}".strip()
        if status == 404:  # not DGFiP's own 404 (those mean "nothing that year"): IMPOT_API_URL is wrong
            raise self.error(GatewayMisconfigured, f"{detail} without a DGFiP error body")
        if status in (204, 410):  # 410 4102: the numéro fiscal matches nobody
            raise self.error(NoDeclaration, detail)
        if status == 400 and code == "4001" and self.mode == "numero_fiscal":
            raise self.error(InvalidTaxNumber, detail)
        if status in (401, 403):  # 401 only after a fresh token: our credentials are refused
            raise self.error(AccessRefused, detail)
        if status == 429:
            raise self.error(QuotaReached, detail)
        if 400 <= status < 500:  # any other request the gateway calls malformed is ours, not the family's
            raise self.error(GatewayMisconfigured, detail)
        raise self.error(ImpotUnavailable, detail)

    def body(self, response: httpx.Response) -> dict:
        try:
            data = response.json()
        except ValueError as error:
            raise self.error(InvalidResponse, "200 with a body that is not JSON") from error
        if not isinstance(data, dict):
            raise self.error(InvalidResponse, "200 with a body that is not a JSON object")
        return data

    def parse_address(self, response: httpx.Response, year: int, *, with_income: bool = False) -> TaxAddress:
        """The address and the declarants: without a usable aft (nor aftDetail) the answer proves nothing. With
        `with_income`, the income situation too when rfr and nbPart are usable (else None: the address stands)."""
        data = self.body(response)
        address = _address(data)
        if address is None or not (address.text or address.street):
            raise self.error(IncompleteAnswer, "200 without aft")
        income = None
        if with_income:
            try:
                income = self.parse(response, year)
            except IncompleteAnswer:
                logger.info(
                    "impot_client: address without a usable income (correlation=%s)", self.correlation_id
                )
        return TaxAddress(
            year=year,
            address=address,
            declarants=tuple(declarant for n in (1, 2) if (declarant := _declarant(data, n))),
            correlation_id=self.correlation_id,
            income=income,
        )

    def parse(self, response: httpx.Response, year: int) -> TaxSituation:
        """Lenient on form (numbers as strings, "2,5" parts, missing optional blocks), strict on the
        two figures the tariff needs: without a readable rfr and nbPart the answer is unusable."""
        data = self.body(response)
        try:
            pac = data.get("pac") or {}
            rfr = _number(data.get("rfr"))
            nb_pac = _number(pac.get("nbPac") or 0)
            nb_parts = _number(data.get("nbPart"))
            if rfr != rfr.to_integral_value() or nb_pac != nb_pac.to_integral_value() or not nb_parts:
                raise ValueError("not whole, or no parts")
        except (ValueError, ArithmeticError, AttributeError) as error:
            raise self.error(IncompleteAnswer, "200 without a usable rfr, nbPart or nbPac") from error
        return TaxSituation(
            year=year,
            rfr=int(rfr),
            nb_parts=nb_parts,
            sit_fam=_text(data.get("sitFam")),
            nb_pac=int(nb_pac),
            single_parent=data.get("sitParIso") == "T" or data.get("sitParIso") is True,
            declarants=tuple(declarant for n in (1, 2) if (declarant := _declarant(data, n))),
            correlation_id=self.correlation_id,
            address=_address(data),
        )


def _number(value) -> Decimal:
    """A JSON number or a numeric string, "," accepted as the decimal point; finite and not negative.
    Anything else (None, True, a list...) does not read as a Decimal once made a string."""
    number = Decimal(str(value).strip().replace(",", "."))
    if not number.is_finite() or number < 0:
        raise ValueError("not a finite positive number")
    return number


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _declarant(data: dict, n: int) -> Declarant | None:
    """Declarant n, or None when DGFiP sent no name for them (no second declarant, or scope not granted)."""
    birth_name, usage_name = _text(data.get(f"nmNaiDec{n}")), _text(data.get(f"nmUsaDec{n}"))
    first_names = _text(data.get(f"prnmDec{n}"))
    if not (birth_name or usage_name or first_names):
        return None
    return Declarant(birth_name, usage_name, first_names, _birth_date(data.get(f"dateNaisDec{n}")))


def _address(data: dict) -> Address | None:
    """aft, and aftDetail in either spelling that circulates: getcommune/getcodePostal (the contract's)
    or commune/codePostal (DGFiP's 2020 schema)."""
    detail = data.get("aftDetail")
    detail = detail if isinstance(detail, dict) else {}
    address = Address(
        text=_text(data.get("aft")),
        complement=_text(detail.get("complementAdresse")),
        street=_text(detail.get("voie")),
        postcode=_text(detail.get("getcodePostal")) or _text(detail.get("codePostal")),
        city=_text(detail.get("getcommune")) or _text(detail.get("commune")),
    )
    return address if any(vars(address).values()) else None


def _birth_date(value) -> date | None:
    try:
        return date(int(value["annee"]), int(value["mois"]), int(value["jour"]))
    except (KeyError, TypeError, ValueError):
        return None
