"""A client for DGFiP's API Impôt particulier (resource situations/ir/assiettes), configured only by settings.

Two modes: FranceConnect (the family's FC access token goes in a header) and numéro fiscal (in the path).
The client-credentials token and the per-minute quota live in Django's cache, so that every worker shares
them. Logs name the call by its correlation id, never by the family: no numéro fiscal, name, amount or token.
"""

import logging
import re
import threading
import time
import uuid
from datetime import date
from decimal import Decimal

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from impot_client.situation import (
    AccessRefused,
    Declarant,
    ImpotError,
    ImpotUnavailable,
    InvalidResponse,
    InvalidTaxNumber,
    NoDeclaration,
    QuotaReached,
    TaxSituation,
)

logger = logging.getLogger(__name__)

ACCEPT = "application/prs.dgfip.part.situations.ir.assiettes.v1+json, application/json"
TOKEN_MARGIN_SECONDS = 60  # a cached token is dropped this long before DGFiP expires it
DEFAULT_TOKEN_LIFETIME = 300  # when the token answer has no expires_in; a 401 refreshes it anyway
NUMERO_FISCAL = re.compile(r"[0-9]{13}")
SPI_IN_PATH = re.compile(r"/spi/[0-9]{13}/")
FAMILY_WAITING = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)  # slow, not down: no retry

sleep = time.sleep  # tests replace it: the backoff must never really wait there

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


def fetch_with_franceconnect(access_token: str, *, today: date | None = None) -> TaxSituation:
    """The situation of the family signed in with FranceConnect; their access token lives 60 seconds."""
    return _Lookup("franceconnect", "", {"X-FranceConnect-OAuth": access_token}).run(today)


def fetch_by_numero_fiscal(numero_fiscal: str, *, today: date | None = None) -> TaxSituation:
    """The situation of the foyer the number belongs to: the caller checks its declarants are the family."""
    spi = "".join(numero_fiscal.split())
    if not NUMERO_FISCAL.fullmatch(spi):  # checked here: it goes into the URL path, and costs quota
        raise InvalidTaxNumber("numéro fiscal: not 13 digits")
    return _Lookup("numero_fiscal", f"/spi/{spi}", {}).run(today)


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
    """Count one call against the quota shared by all workers, per calendar minute."""
    key = f"impot_client:quota:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    if cache.incr(key) > settings.IMPOT_QUOTA_PER_MINUTE:
        logger.warning("impot_client: quota of %d calls per minute reached", settings.IMPOT_QUOTA_PER_MINUTE)
        raise QuotaReached("quota reached", correlation_id=correlation_id)


def _error_code(response: httpx.Response) -> str:
    """DGFiP's code from {"erreur": {"code": ...}}, as a string; "" when the body has none."""
    try:
        return str(response.json()["erreur"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _year_unavailable(response: httpx.Response) -> bool:
    code = _error_code(response)
    return (
        response.status_code == 404
        or (response.status_code == 410 and code == "4101")
        or (response.status_code == 400 and code == "4002")
    )


class _Lookup:
    """One family's lookup: its calls share a mode and a path, and errors carry the last correlation id."""

    def __init__(self, mode: str, spi_path: str, headers: dict[str, str]):
        self.mode = mode
        self.spi_path = spi_path
        self.headers = headers
        self.correlation_id = ""

    def run(self, today: date | None) -> TaxSituation:
        """Latest income year first, then the year before once: the new year opens in late July."""
        latest = latest_income_year(today or timezone.localdate())
        for year in (latest, latest - 1):
            response = self.get(year)
            if not _year_unavailable(response):
                return self.situation(response, year)
        raise self.error(NoDeclaration, f"years {latest} and {latest - 1} not available")

    def error(self, kind: type[ImpotError], detail: str) -> ImpotError:
        return kind(detail, correlation_id=self.correlation_id)

    # -- HTTP ------------------------------------------------------------------------------------

    def token(self) -> str:
        """The client-credentials token shared by all workers, requested once per lifetime."""
        key = self.token_key()
        token = cache.get(key)
        if token is None:
            token, lifetime = self.fetch_token()
            cache.set(key, token, lifetime - TOKEN_MARGIN_SECONDS)  # zero or less: not cached
        return token

    def token_key(self) -> str:
        return f"impot_client:token:{settings.IMPOT_TOKEN_URL}:{settings.IMPOT_CLIENT_ID}"

    def fetch_token(self) -> tuple[str, int]:
        http = _http()
        started = time.monotonic()
        outcome = ""
        try:
            response = http.post(
                settings.IMPOT_TOKEN_URL,
                auth=(settings.IMPOT_CLIENT_ID, settings.IMPOT_CLIENT_SECRET),
                data={"grant_type": "client_credentials"},
            )
            outcome = response.status_code
        except httpx.HTTPError as error:
            outcome = type(error).__name__
            raise self.error(ImpotUnavailable, f"token endpoint: {outcome}") from error
        finally:
            logger.info(
                "impot_client: token request outcome=%s duration_ms=%d",
                outcome,
                (time.monotonic() - started) * 1000,
            )
        if response.status_code >= 500:
            raise self.error(ImpotUnavailable, f"token endpoint: HTTP {response.status_code}")
        if response.status_code != 200:  # wrong client id, secret or certificate: agents must act
            raise self.error(AccessRefused, f"token endpoint: HTTP {response.status_code}")
        try:
            body = response.json()
            token, lifetime = body["access_token"], int(body.get("expires_in", DEFAULT_TOKEN_LIFETIME))
            if not token or not isinstance(token, str):
                raise ValueError("empty access_token")
        except (ValueError, KeyError, TypeError) as error:
            raise self.error(InvalidResponse, "token endpoint: unreadable answer") from error
        return token, lifetime

    def get(self, year: int) -> httpx.Response:
        """One year's resource. Retried once after a 5xx or a connection failure, and once with a new
        token after a 401; never after another 4xx, nor after a read timeout (the family is waiting)."""
        url = f"{settings.IMPOT_API_URL}{self.spi_path}/situations/ir/assiettes/annrev/{year}"
        retried = refreshed = False
        while True:
            try:
                response = self.send(url, year)
            except FAMILY_WAITING as error:
                raise self.error(ImpotUnavailable, type(error).__name__) from error
            except httpx.TransportError as error:
                if retried:
                    raise self.error(ImpotUnavailable, type(error).__name__) from error
                retried = True
                sleep(settings.IMPOT_RETRY_BACKOFF)
                continue
            except httpx.HTTPError as error:  # e.g. an undecodable body: not worth a retry
                raise self.error(ImpotUnavailable, type(error).__name__) from error
            if response.status_code >= 500 and not retried:
                retried = True
                sleep(settings.IMPOT_RETRY_BACKOFF)
            elif response.status_code == 401 and not refreshed:
                refreshed = True
                cache.delete(self.token_key())  # the next send asks for a new one
            else:
                return response

    def send(self, url: str, year: int) -> httpx.Response:
        _take_quota(self.correlation_id)  # first: over the quota, not even a token request
        token = self.token()
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

    def situation(self, response: httpx.Response, year: int) -> TaxSituation:
        """The parsed answer, or the error its status and DGFiP code stand for."""
        status = response.status_code
        if status == 200:
            return self.parse(response, year)
        code = _error_code(response)
        if status == 204 or status == 410:  # 410 4102: the numéro fiscal matches nobody
            raise self.error(NoDeclaration, f"HTTP {status} {code}".strip())
        if status == 400 and (code == "4001" or self.mode == "numero_fiscal"):
            raise self.error(InvalidTaxNumber, f"HTTP 400 {code}".strip())
        if status in (401, 403):  # 401 only after a fresh token: our credentials are refused
            raise self.error(AccessRefused, f"HTTP {status} {code}".strip())
        if status == 429:
            raise self.error(QuotaReached, "HTTP 429")
        raise self.error(ImpotUnavailable, f"HTTP {status} {code}".strip())

    def parse(self, response: httpx.Response, year: int) -> TaxSituation:
        """Lenient on form (numbers as strings, "2,5" parts, missing optional blocks), strict on the
        two figures the tariff needs: without a readable rfr and nbPart the answer is unusable."""
        try:
            data = response.json()
            pac = data.get("pac") or {}
            rfr = _number(data.get("rfr"))
            nb_pac = _number(pac.get("nbPac") or 0)
            nb_parts = _number(data.get("nbPart"))
            if rfr != rfr.to_integral_value() or nb_pac != nb_pac.to_integral_value() or not nb_parts:
                raise ValueError("not whole, or no parts")
        except (ValueError, ArithmeticError, AttributeError) as error:
            raise self.error(InvalidResponse, "200 without a readable rfr, nbPart or nbPac") from error
        return TaxSituation(
            year=year,
            rfr=int(rfr),
            nb_parts=nb_parts,
            sit_fam=_text(data.get("sitFam")),
            nb_pac=int(nb_pac),
            single_parent=data.get("sitParIso") == "T" or data.get("sitParIso") is True,
            declarants=tuple(declarant for n in (1, 2) if (declarant := _declarant(data, n))),
            correlation_id=self.correlation_id,
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


def _birth_date(value) -> date | None:
    try:
        return date(int(value["annee"]), int(value["mois"]), int(value["jour"]))
    except (KeyError, TypeError, ValueError):
        return None
