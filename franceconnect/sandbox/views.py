"""Endpoints of the FranceConnect v2 simulator, at the same paths as the real provider.

Codes and access tokens live in Django's cache, so every worker sees them; their lifetimes are also
checked against `now()`, which tests move forward instead of sleeping."""

import functools
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core.util import create_half_hash
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from joserfc.errors import JoseError

from franceconnect.sandbox import keys
from franceconnect.sandbox.identities import (
    DATA_PROVIDER_SCOPES,
    IDENTITIES,
    IDENTITY_CLAIMS,
    SCOPE_CLAIMS,
    pairwise_sub,
)

ACR = "eidas1"
CODE_TTL = 30
ACCESS_TOKEN_TTL = 60
ID_TOKEN_TTL = 60
PROMPTS = ("login", "consent")
_CODE_CACHE_PREFIX = "franceconnect-sandbox:code:"
_TOKEN_CACHE_PREFIX = "franceconnect-sandbox:access-token:"
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def now() -> int:
    """Seconds since the epoch; tests patch it to test expiry without sleeping."""
    return int(timezone.now().timestamp())


def sandbox_gate(setting: str):
    """404 unless DEBUG and `setting` are both on, checked on every request so that a production
    process never serves a simulator, whatever its URLconf."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not (settings.DEBUG and getattr(settings, setting)):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


sandbox_only = sandbox_gate("FRANCECONNECT_SANDBOX")


def issuer() -> str:
    return settings.FRANCECONNECT_ISSUER


def _redirect_uris() -> list[str]:
    """The portal's callbacks, registered as FranceConnect registers them: derived from SITE_URL by default."""
    return settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS


def _post_logout_redirect_uris() -> list[str]:
    return settings.FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS


def same(given: str, expected: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII input (hmac refuses it as str)."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _is_client(client_id: str) -> bool:
    return same(client_id, settings.FRANCECONNECT_CLIENT_ID)


def data_provider_credentials() -> tuple[str, str]:
    """The one data provider (the DGFiP simulator) allowed on checktoken: its client id and secret."""
    return (
        getattr(settings, "FRANCECONNECT_SANDBOX_DATA_PROVIDER_ID", "dgfip-sandbox"),
        getattr(
            settings, "FRANCECONNECT_SANDBOX_DATA_PROVIDER_SECRET", "dgfip-sandbox-secret-not-for-production"
        ),
    )


def _client_authenticated(request, client_id: str, client_secret: str) -> bool:
    """client_secret_post only: FranceConnect refuses client_secret_basic, so any Authorization header fails."""
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    return same(request.POST.get("client_id", ""), client_id) and same(
        request.POST.get("client_secret", ""), client_secret
    )


def _with_query(uri: str, params: dict) -> str:
    separator = "&" if urlsplit(uri).query else "?"
    return uri + separator + urlencode(params)


def oauth_error(error: str, description: str, status: int) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status, headers=NO_STORE)


def _invalid_client() -> JsonResponse:
    return oauth_error("invalid_client", _("Authentification du service refusée (client_secret_post)."), 401)


def _error_page(request, message: str) -> HttpResponse:
    """For errors that must not redirect (unknown client or redirect URI): the user reads them here."""
    return render(request, "franceconnect/sandbox/error.html", {"message": message}, status=400)


@sandbox_only
@require_GET
def discovery(request):
    base = issuer()
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "end_session_endpoint": f"{base}/session/end",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "scopes_supported": list(SCOPE_CLAIMS),
            "claims_supported": ["sub", *IDENTITY_CLAIMS, "amr"],
            "claims_parameter_supported": True,
            "acr_values_supported": [ACR],
            "id_token_signing_alg_values_supported": [keys.ALGORITHM],
            "userinfo_signing_alg_values_supported": [keys.ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["pairwise"],
            "prompt_values_supported": list(PROMPTS),
            "authorization_response_iss_parameter_supported": True,
        }
    )


@sandbox_only
@require_GET
def jwks(request):
    return JsonResponse(keys.jwks())


class AuthorizationError(Exception):
    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    code_challenge: str
    amr_requested: bool


def _parse_authorization_request(params) -> AuthorizationRequest:
    """The checks FranceConnect makes once it trusts the client and redirect URI: failures go back to
    the service as `error` and `error_description`."""
    if params.get("response_type") != "code":
        raise AuthorizationError("unsupported_response_type", _("Seul response_type=code est accepté."))
    scopes = tuple(params.get("scope", "").split())
    if "openid" not in scopes:
        raise AuthorizationError("invalid_scope", _("Le scope openid est obligatoire."))
    unknown = [scope for scope in scopes if scope not in SCOPE_CLAIMS]
    if unknown:
        raise AuthorizationError(
            "invalid_scope", _("Scopes inconnus : %(scopes)s.") % {"scopes": " ".join(unknown)}
        )
    if not params.get("state"):
        raise AuthorizationError("invalid_request", _("Le paramètre state est obligatoire."))
    if not params.get("nonce"):
        raise AuthorizationError("invalid_request", _("Le paramètre nonce est obligatoire."))
    if params.get("acr_values") != ACR:
        raise AuthorizationError("invalid_request", _("acr_values doit valoir eidas1."))
    if any(prompt not in PROMPTS for prompt in params.get("prompt", "").split()):
        raise AuthorizationError("invalid_request", _("prompt n'accepte que login et consent."))
    challenge = params.get("code_challenge", "")
    if challenge or "code_challenge_method" in params:
        if params.get("code_challenge_method") != "S256":
            raise AuthorizationError("invalid_request", _("Seule la méthode PKCE S256 est acceptée."))
        if not _CODE_CHALLENGE.fullmatch(challenge):
            raise AuthorizationError("invalid_request", _("code_challenge est invalide."))
    return AuthorizationRequest(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        scopes=scopes,
        state=params["state"],
        nonce=params["nonce"],
        code_challenge=challenge,
        amr_requested=_amr_requested(params.get("claims")),
    )


def _amr_requested(raw_claims: str | None) -> bool:
    """Whether the OIDC `claims` parameter asks for `amr` in the ID token, as FranceConnect expects it."""
    if not raw_claims:
        return False
    try:
        claims = json.loads(raw_claims)
    except ValueError:
        claims = None
    if not isinstance(claims, dict) or not isinstance(claims.get("id_token", {}), dict):
        raise AuthorizationError("invalid_request", _("Le paramètre claims doit être un objet JSON."))
    return "amr" in claims.get("id_token", {})


@sandbox_only
@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request):
    """The sign-in page: pick a test identity, or cancel. The form posts back to this URL, so the
    authorization request is read from the query string, and checked again, on both methods."""
    params = request.GET
    if not _is_client(params.get("client_id", "")):
        return _error_page(
            request, _("Le service qui vous envoie ici est inconnu du simulateur (client_id).")
        )
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in _redirect_uris():
        return _error_page(
            request, _("L'adresse de retour (redirect_uri) n'est pas enregistrée pour ce service.")
        )
    state = params.get("state", "")
    try:
        auth_request = _parse_authorization_request(params)
    except AuthorizationError as error:
        return _redirect_to_client(
            redirect_uri, error=error.error, error_description=error.description, state=state
        )
    error = ""
    if request.method == "POST":
        if "cancel" in request.POST:
            return _redirect_to_client(
                redirect_uri,
                error="access_denied",
                error_description=_("L'usager a annulé la connexion avec FranceConnect."),
                state=state,
            )
        identity = IDENTITIES.get(request.POST.get("identity", ""))
        if identity is not None:
            return _redirect_to_client(
                redirect_uri, code=_issue_code(auth_request, identity.key), state=state
            )
        error = _("Choisissez une identité de test pour continuer.")
    response = render(
        request,
        "franceconnect/sandbox/authorize.html",
        {"identities": IDENTITIES.values(), "auth_request": auth_request, "error": error},
        status=400 if error else 200,
    )
    # Browsers apply CSP form-action to the redirect that answers the form too: allow the service's
    # origin (what django-csp's csp_update decorator does, but with a per-request value).
    service = urlsplit(redirect_uri)
    response._csp_update = {"form-action": [f"{service.scheme}://{service.netloc}"]}
    return response


def _redirect_to_client(redirect_uri: str, **params) -> HttpResponseRedirect:
    """Back to the service, with `iss` (RFC 9207) so that it can check which provider answered."""
    return HttpResponseRedirect(
        _with_query(
            redirect_uri, {**{name: value for name, value in params.items() if value}, "iss": issuer()}
        )
    )


def _issue_code(auth_request: AuthorizationRequest, identity_key: str) -> str:
    code = secrets.token_urlsafe(32)
    # The user has just signed in: auth_time is also when the code was issued.
    grant = {**asdict(auth_request), "identity": identity_key, "auth_time": now()}
    cache.set(_CODE_CACHE_PREFIX + code, grant, timeout=CODE_TTL)
    return code


def _consume_code(code: str) -> dict | None:
    """The grant behind a code, at most once: the first delete wins, so a replay finds nothing."""
    key = _CODE_CACHE_PREFIX + code
    grant = cache.get(key)
    if grant is None or not cache.delete(key):
        return None
    return grant


def _grant_error(grant: dict | None, request) -> str:
    """Why this code cannot be exchanged by this request, or "" if it can."""
    if grant is None:
        return _("Code inconnu ou déjà utilisé.")
    if now() >= grant["auth_time"] + CODE_TTL:
        return _("Code expiré (valable %(seconds)d secondes).") % {"seconds": CODE_TTL}
    if grant["client_id"] != request.POST["client_id"]:
        return _("Ce code a été délivré à un autre service.")
    if grant["redirect_uri"] != request.POST.get("redirect_uri"):
        return _("redirect_uri ne correspond pas à celui de la demande d'autorisation.")
    verifier = request.POST.get("code_verifier")
    if not grant["code_challenge"]:
        return _("code_verifier envoyé sans code_challenge à l'autorisation.") if verifier else ""
    if not verifier or not _CODE_VERIFIER.fullmatch(verifier):
        return _("code_verifier manquant ou mal formé.")
    if not hmac.compare_digest(create_s256_code_challenge(verifier), grant["code_challenge"]):
        return _("code_verifier ne correspond pas au code_challenge.")
    return ""


@csrf_exempt
@sandbox_only
@require_POST
def token(request):
    if not _client_authenticated(
        request, settings.FRANCECONNECT_CLIENT_ID, settings.FRANCECONNECT_CLIENT_SECRET
    ):
        return _invalid_client()
    if request.POST.get("grant_type") != "authorization_code":
        return oauth_error(
            "unsupported_grant_type", _("Seul grant_type=authorization_code est accepté."), 400
        )
    grant = _consume_code(request.POST.get("code", ""))
    error = _grant_error(grant, request)
    if error:
        return oauth_error("invalid_grant", error, 400)

    identity = IDENTITIES[grant["identity"]]
    issued_at = now()
    access_token = secrets.token_urlsafe(32)
    record = {
        "client_id": grant["client_id"],
        "identity": identity.key,
        "scopes": grant["scopes"],
        "sub": pairwise_sub(identity, grant["client_id"]),
        "iat": issued_at,
        "exp": issued_at + ACCESS_TOKEN_TTL,
        "jti": secrets.token_urlsafe(32),
    }
    cache.set(_TOKEN_CACHE_PREFIX + access_token, record, timeout=ACCESS_TOKEN_TTL)
    # OIDC Core 3.1.3.6: at_hash is the left half of the access token's hash, base64url-encoded.
    at_hash = create_half_hash(access_token, keys.ALGORITHM).decode("ascii")
    id_claims = {
        "iss": issuer(),
        "sub": record["sub"],
        "aud": grant["client_id"],
        "exp": issued_at + ID_TOKEN_TTL,
        "iat": issued_at,
        "auth_time": grant["auth_time"],
        "acr": ACR,
        "nonce": grant["nonce"],
        "at_hash": at_hash,
    }
    if grant["amr_requested"]:
        id_claims["amr"] = ["pwd"]
    return JsonResponse(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL,
            "id_token": keys.sign(id_claims),
            "scope": " ".join(grant["scopes"]),
        },
        headers=NO_STORE,
    )


def _live_access_token(access_token: str) -> dict | None:
    record = cache.get(_TOKEN_CACHE_PREFIX + access_token) if access_token else None
    if record is None or now() >= record["exp"]:
        return None
    return record


@sandbox_only
@require_GET
def userinfo(request):
    """The identity as a signed JWT (application/jwt), as FranceConnect v2 returns it."""
    scheme, _space, access_token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    record = _live_access_token(access_token.strip())
    if record is None:
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    issued_at = now()
    claims = {
        "sub": record["sub"],
        "iss": issuer(),
        "aud": record["client_id"],
        "iat": issued_at,
        "exp": issued_at + ACCESS_TOKEN_TTL,
        **IDENTITIES[record["identity"]].claims(record["scopes"]),
    }
    return HttpResponse(keys.sign(claims), content_type="application/jwt", headers=NO_STORE)


@sandbox_only
@never_cache
@require_GET
def session_end(request):
    """Logout: back to a registered post-logout URI with the service's `state`; never an open redirect."""
    hint = request.GET.get("id_token_hint", "")
    state = request.GET.get("state", "")
    post_logout_redirect_uri = request.GET.get("post_logout_redirect_uri", "")
    if not (hint and state and post_logout_redirect_uri):
        return _error_page(
            request,
            _("Déconnexion impossible : id_token_hint, state et post_logout_redirect_uri sont obligatoires."),
        )
    if post_logout_redirect_uri not in _post_logout_redirect_uris():
        return _error_page(
            request, _("Déconnexion impossible : post_logout_redirect_uri n'est pas enregistrée.")
        )
    try:
        claims = keys.verify(hint)
    except JoseError:
        claims = {}
    if claims.get("iss") != issuer() or not _is_client(str(claims.get("aud", ""))):
        return _error_page(
            request, _("Déconnexion impossible : id_token_hint n'a pas été émis par ce simulateur.")
        )
    return HttpResponseRedirect(_with_query(post_logout_redirect_uri, {"state": state}))


@csrf_exempt
@sandbox_only
@require_POST
def checktoken(request):
    """Token introspection for data providers (RFC 7662-like), authenticated as one of them: is this
    access token live, for whom (the pivot identity, whatever the scopes), and which of the granted
    scopes concern this data provider; `sub` is the data provider's own pairwise one."""
    provider_id, provider_secret = data_provider_credentials()
    if not _client_authenticated(request, provider_id, provider_secret):
        return _invalid_client()
    record = _live_access_token(request.POST.get("token", ""))
    if record is None:
        return JsonResponse({"active": False}, headers=NO_STORE)
    identity = IDENTITIES[record["identity"]]
    return JsonResponse(
        {
            "active": True,
            "aud": record["client_id"],
            "sub": pairwise_sub(identity, provider_id),
            "iat": record["iat"],
            "exp": record["exp"],
            "acr": ACR,
            "jti": record["jti"],
            "scope": " ".join(scope for scope in record["scopes"] if scope in DATA_PROVIDER_SCOPES),
            "identity": identity.pivot(),
        },
        headers=NO_STORE,
    )
