"""Endpoints of the API Particulier v3 simulator, at the contract's paths (quotient familial and participation
familiale EAJE, each by identité pivot and by FranceConnect).

Checks in the real API's order: the Bearer token (the commune's, or in FranceConnect mode the family's access
token, which the FranceConnect simulator's checktoken vouches for, over HTTP) and its scope, the rates per
address and per token, `recipient`, the identity parameters, then the family. The rates are the published ones,
1 000 requests per minute per address and 20 per second per token, counted in Django's cache (shared by the
workers when it is Redis, as the client's own limits are) in windows of `now()`, which tests move instead of
sleeping."""

import hashlib
import re
from datetime import UTC, date, datetime

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from api_particulier.sandbox import allocataires
from api_particulier.sandbox.allocataires import (
    COMMUNE_TOKENS,
    FRANCECONNECT_SCOPES,
    Family,
    Outcome,
    Provider,
    family_of,
    family_of_franceconnect,
)
from franceconnect.sandbox.views import data_provider_credentials, now, same, sandbox_gate

RATE_LIMIT = 20  # requests per token in any one-second window
ADDRESS_RATE_LIMIT = 1000  # requests per address in any one-minute window
CACHE_PREFIX = "api_particulier_sandbox"
CACHE_SECONDS = {"quotient_familial": 86400, "participation_familiale_eaje": 3600}  # X-Cache-Expires-in
CHECKTOKEN_TIMEOUT = 5.0
FRANCE = "99100"
_COG = re.compile(r"[0-9][0-9AB][0-9]{3}")  # 2A004, 2B033: Corsica
_DEPARTEMENT = re.compile(r"[0-9][0-9AB][0-9]?")
_INTEGER = re.compile(r"[0-9]{1,4}")

sandbox_only = sandbox_gate("API_PARTICULIER_SANDBOX")


class ParticulierError(Exception):
    """An answer in the contract's error format, {"errors": [{"code", "title", "detail", "source", "meta"}]}."""

    def __init__(self, status: int, code: str, title: str, detail: str, *, source=None, meta=None):
        super().__init__(detail)
        self.status = status
        self.error = {"code": code, "title": title, "detail": detail, "source": source, "meta": meta or {}}


def _invalid_token() -> ParticulierError:
    return ParticulierError(
        401,
        "00101",
        _("Interdit"),
        _("Votre token n'est pas valide ou n'est pas renseigné"),
        source={"parameter": "token"},
    )


def _malformed_civility() -> ParticulierError:
    return ParticulierError(
        422,
        "00366",
        _("Entité non traitable"),
        _("Un ou plusieurs paramètres de civilité ne sont pas correctement formatés"),
    )


def _insufficient_privileges() -> ParticulierError:
    return ParticulierError(
        403,
        "00100",
        _("Privilèges insuffisants"),
        _(
            "Votre token est valide mais vos privilèges sont insuffisants. Listez vos privilèges sur /api/introspect"
        ),
        source={"parameter": "token"},
    )


def _too_many_requests() -> ParticulierError:
    return ParticulierError(429, "00429", _("Trop de requêtes"), _("Vous avez effectué trop de requêtes"))


def _bearer(request) -> str:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _commune_token_routes(token: str) -> tuple[str, ...]:
    """The routes a commune token may call: both for the commune's own, one for the fictitious ones; 401 else."""
    if token and same(token, settings.API_PARTICULIER_TOKEN):
        return allocataires.ROUTES
    for known, routes in COMMUNE_TOKENS.items():
        if same(token, known):
            return routes
    raise _invalid_token()


def _franceconnect_identity(token: str) -> tuple[dict, set[str]]:
    """Whom the family's FranceConnect token stands for, and the data scopes it was granted, from the FranceConnect
    simulator's checktoken, where the simulator authenticates as FranceConnect's data provider."""
    client_id, client_secret = data_provider_credentials()
    try:
        response = httpx.post(
            settings.FRANCECONNECT_ISSUER + "/checktoken",
            data={"token": token, "client_id": client_id, "client_secret": client_secret},
            timeout=CHECKTOKEN_TIMEOUT,
        )
        response.raise_for_status()
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ParticulierError(
            504,
            "00501",
            _("Erreur réseau"),
            _("Problème de connexion au serveur distant. Il s'agit souvent d'une erreur temporaire."),
            meta={"retry_in": 10},
        ) from error
    if answer.get("active") is not True:
        raise _invalid_token()
    return answer["identity"], set(str(answer.get("scope", "")).split())


def _window(kind: str, who: str, seconds: int, limit: int) -> tuple[dict[str, str], bool]:
    """Count one request in the current window of `seconds` for `who` (hashed: no token in a cache key): the
    RateLimit-* headers of the answer, and whether the request is within `limit`."""
    start = now() // seconds * seconds
    key = f"{CACHE_PREFIX}:{kind}:{hashlib.sha256(who.encode()).hexdigest()[:32]}:{start}"
    cache.add(key, 0, timeout=seconds + 60)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 60)
        used = 1
    headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(limit - used, 0)),
        "RateLimit-Reset": str(start + seconds),
    }
    return headers, used <= limit


def count_address(address: str) -> tuple[dict[str, str], bool]:
    return _window("address", address, 60, ADDRESS_RATE_LIMIT)


def _count(token: str) -> tuple[dict[str, str], bool]:
    return _window("token", token, 1, RATE_LIMIT)


def _check_recipient(request) -> None:
    if not request.GET.get("recipient", "").strip():
        raise ParticulierError(
            422,
            "00203",
            _("Entité non traitable"),
            _("Le paramètre recipient est obligatoire"),
            source={"parameter": "recipient"},
        )


def _integer(request, name: str, low: int, high: int) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return None
    if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
        raise _malformed_civility()
    return int(raw)


def _birth_date(request) -> str:
    """YYYY-MM-DD with 00 for what is not given; the month is ignored without the year, the day without both."""
    year = _integer(request, "anneeDateNaissance", 1900, 2100)
    month = _integer(request, "moisDateNaissance", 1, 12) if year else None
    day = _integer(request, "jourDateNaissance", 1, 31) if month else None
    return f"{year or 0:04d}-{month or 0:02d}-{day or 0:02d}"


def _pivot_identity(request) -> tuple[str, str, str]:
    """The identity parameters, checked as the contract says: birth name, 1 to 3 given names, sex, birth country,
    and for people born in France the commune's COG code, or its name with the département and birth year."""
    birth_name = request.GET.get("nomNaissance", "").strip()
    given_names = [name.strip() for name in request.GET.getlist("prenoms[]")]
    country = request.GET.get("codeCogInseePaysNaissance", "")
    commune = request.GET.get("codeCogInseeCommuneNaissance")
    commune_name = request.GET.get("nomCommuneNaissance")
    departement = request.GET.get("codeCogInseeDepartementNaissance")
    birth_date = _birth_date(request)
    if (
        not birth_name
        or not 1 <= len(given_names) <= 3
        or not all(given_names)
        or request.GET.get("sexeEtatCivil") not in ("F", "M")
        or not re.fullmatch(r"99[0-9]{3}", country)
        or (commune is not None and not _COG.fullmatch(commune))
        or (departement is not None and not _DEPARTEMENT.fullmatch(departement))
    ):
        raise _malformed_civility()
    born_abroad_with_commune = country != FRANCE and any((commune, commune_name, departement))
    by_name = bool(commune_name and departement and not birth_date.startswith("0000"))
    if born_abroad_with_commune or (country == FRANCE and not (commune or by_name)):
        raise _malformed_civility()
    return birth_name, " ".join(given_names), birth_date


def _period(request, today: date) -> tuple[int, int]:
    """The QF's effective year and month: the current ones by default."""
    year = _integer(request, "annee", 1900, 2100) or today.year
    month = _integer(request, "mois", 1, 12) or today.month
    return year, month


def _play(family: Family | None, route: str) -> Family:
    """The answer a family stands for, whatever the parameters."""
    if family is None:
        raise ParticulierError(
            404,
            "35003",
            _("Allocataire non référencé"),
            _("L'allocataire n'est pas référencé auprès des caisses éligibles"),
            meta={"provider": "CNAF & MSA"},
        )
    if family.outcome == Outcome.UNKNOWN:
        if route == "participation_familiale_eaje":
            raise ParticulierError(
                404,
                "37003",
                _("Entité non trouvée"),
                _("Dossier allocataire inexistant. Le document ne peut être édité."),
                meta={"provider": "CNAV"},
            )
        raise ParticulierError(
            404,
            "23003",
            _("Dossier allocataire absent CNAF"),
            _("Le dossier allocataire n'a pas été trouvé auprès de la CNAF."),
            meta={"provider": "CNAF"},
        )
    if family.outcome == Outcome.PROVIDER_DOWN:
        raise ParticulierError(
            502,
            "37999",
            _("Erreur inconnue du fournisseur de données"),
            _(
                "La réponse retournée par le fournisseur de données est invalide et inconnue de notre service."
            ),
            meta={"provider": "CNAV"},
        )
    if family.outcome == Outcome.RATE_LIMITED:
        raise _too_many_requests()
    if family.outcome == Outcome.IN_PROGRESS:
        raise ParticulierError(
            409,
            "00015",
            _("Conflit"),
            _(
                "Une requête associé à votre jeton est déjà en cours de traitement pour ces paramètres. Veuillez "
                "attendre la fin du traitement avant d'effectuer une nouvelle requête."
            ),
        )
    if family.outcome == Outcome.PROVIDER_TIMEOUT:
        raise ParticulierError(
            504,
            "37002",
            _("Intermédiaire hors-délai"),
            _("Temps d’attente d’une réponse du fournisseur de données écoulé."),
            meta={"provider": "CNAV"},
        )
    return family


def _data(family: Family, route: str, request, today: date) -> dict:
    eaje = route == "participation_familiale_eaje"
    data = family.members(today, eaje=eaje)
    if eaje:
        data["parametres_calcul_participation_familiale"] = {
            "nombre_enfants_a_charge": len(family.children),
            "nombre_enfants_beneficiaire_aeeh": family.aeeh_children,
            "base_ressources_annuelles": {"valeur": family.annual_resources, "annee_calcul": today.year},
        }
    else:
        year, month = _period(request, today)
        # The MSA recomputes every month; the CAF's QF of the year was computed in January.
        computed = (year, month) if family.provider == Provider.MSA else (year, 1)
        data["quotient_familial"] = {
            "fournisseur": str(family.provider),
            "valeur": family.quotient_familial,
            "annee": year,
            "mois": month,
            "annee_calcul": computed[0],
            "mois_calcul": computed[1],
        }
    return data


def _today() -> date:
    return timezone.localdate(datetime.fromtimestamp(now(), tz=UTC))


def _answer(request, route: str, mode: str) -> JsonResponse:
    headers: dict[str, str] = {}
    try:
        token = _bearer(request)
        if mode == "identite":
            if route not in _commune_token_routes(token):
                raise _insufficient_privileges()
        elif not token:
            raise _invalid_token()
        headers, allowed = count_address(request.META.get("REMOTE_ADDR", ""))
        if not allowed:
            raise _too_many_requests()
        headers, allowed = _count(token)
        if not allowed:
            raise _too_many_requests()
        _check_recipient(request)
        today = _today()
        if mode == "identite":
            family = family_of(*_pivot_identity(request))
        else:
            if route == "quotient_familial":
                _period(request, today)
            identity, scopes = _franceconnect_identity(token)
            if not set(FRANCECONNECT_SCOPES) <= scopes:
                raise _insufficient_privileges()
            family = family_of_franceconnect(identity)
        data = _data(_play(family, route), route, request, today)
    except ParticulierError as error:
        return JsonResponse({"errors": [error.error]}, status=error.status, headers=headers)
    headers.update({"X-Response-Cached": "false", "X-Cache-Expires-in": str(CACHE_SECONDS[route])})
    return JsonResponse({"data": data, "links": {}, "meta": {}}, headers=headers)


def _view(route: str, mode: str):
    @sandbox_only
    @require_GET
    def view(request):
        return _answer(request, route, mode)

    view.__name__ = f"{route}_{mode}"
    view.__doc__ = f"/v3/dss/{route}/{mode}"
    return view


ROUTES = {
    (route, mode): _view(route, mode)
    for route in allocataires.ROUTES
    for mode in ("identite", "france_connect")
}
