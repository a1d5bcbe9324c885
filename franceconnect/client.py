"""An OpenID Connect client for FranceConnect v2, configured only by settings.

authlib builds the authorization request (PKCE S256) and exchanges the code (client_secret_post);
joserfc verifies every JWT against the issuer's JWKS. Nothing here knows about the simulator:
the sandbox, FranceConnect's integration platform and production differ by settings alone.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from django.conf import settings
from joserfc import jws, jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from portal.resilience import cache_get, cache_set

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ["ES256", "RS256"]
ACR = "eidas1"
CLOCK_SKEW_SECONDS = 30
METADATA_CACHE_SECONDS = 60 * 60
JWKS_CACHE_SECONDS = 60 * 60
STATE_LENGTH = 48  # characters; FranceConnect asks for at least 32


class FranceConnectError(Exception):
    """Anything that stops a sign-in. `reason` picks the message the family reads."""

    reason = "invalid"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class FranceConnectUnavailable(FranceConnectError):
    reason = "unavailable"


class TokenRejected(FranceConnectError):
    reason = "invalid"


@dataclass(frozen=True)
class Flow:
    """What the browser session keeps between the redirect and the callback."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


def new_flow(redirect_uri: str) -> Flow:
    return Flow(
        state=generate_token(STATE_LENGTH),
        nonce=generate_token(STATE_LENGTH),
        code_verifier=generate_token(64),
        redirect_uri=redirect_uri,
    )


class FranceConnectClient:
    def __init__(self, *, issuer=None, client_id=None, client_secret=None, scopes=None, timeout=None):
        self.issuer = (issuer or settings.FRANCECONNECT_ISSUER).rstrip("/")
        self.client_id = client_id or settings.FRANCECONNECT_CLIENT_ID
        self.client_secret = client_secret or settings.FRANCECONNECT_CLIENT_SECRET
        self.scopes = scopes or settings.FRANCECONNECT_SCOPES
        self.timeout = timeout or settings.FRANCECONNECT_TIMEOUT
        self._cache_prefix = f"franceconnect:{self.issuer}:"

    # -- HTTP ------------------------------------------------------------------------------------

    def _oauth(self, redirect_uri=None) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method="client_secret_post",
            code_challenge_method="S256",
            scope=self.scopes,
            redirect_uri=redirect_uri,
            timeout=self.timeout,
        )

    def _get(self, url, **kwargs) -> httpx.Response:
        try:
            response = httpx.get(url, timeout=self.timeout, **kwargs)
        except httpx.HTTPError as error:
            raise FranceConnectUnavailable(f"GET {url}: {type(error).__name__}") from error
        if response.status_code >= 500:
            raise FranceConnectUnavailable(f"GET {url}: HTTP {response.status_code}")
        return response

    def metadata(self) -> dict:
        key = self._cache_prefix + "metadata"
        metadata = cache_get(key)
        if metadata is None:
            response = self._get(f"{self.issuer}/.well-known/openid-configuration")
            if response.status_code != 200:
                raise FranceConnectUnavailable(f"discovery: HTTP {response.status_code}")
            metadata = response.json()
            if metadata.get("issuer", "").rstrip("/") != self.issuer:
                raise TokenRejected("discovery: issuer mismatch")
            cache_set(key, metadata, METADATA_CACHE_SECONDS)
        return metadata

    def _keyset(self, *, refresh=False) -> KeySet:
        key = self._cache_prefix + "jwks"
        jwks = None if refresh else cache_get(key)
        if jwks is None:
            response = self._get(self.metadata()["jwks_uri"])
            if response.status_code != 200:
                raise FranceConnectUnavailable(f"jwks: HTTP {response.status_code}")
            jwks = response.json()
            cache_set(key, jwks, JWKS_CACHE_SECONDS)
            logger.info("franceconnect: JWKS fetched (%d keys)", len(jwks.get("keys", [])))
        return KeySet.import_key_set(jwks)

    # -- The flow --------------------------------------------------------------------------------

    def authorization_url(self, flow: Flow) -> str:
        with self._oauth(flow.redirect_uri) as oauth:
            url, _state = oauth.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=flow.state,
                nonce=flow.nonce,
                code_verifier=flow.code_verifier,
                acr_values=ACR,
                prompt="login consent",
            )
        return url

    def exchange_code(self, flow: Flow, code: str) -> dict:
        """Trade the code for tokens; returns the token response (access_token, id_token...)."""
        try:
            with self._oauth(flow.redirect_uri) as oauth:
                token = oauth.fetch_token(
                    self.metadata()["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=flow.code_verifier,
                )
        except OAuthError as error:
            raise TokenRejected(f"token endpoint: {error.error}") from error
        except httpx.HTTPError as error:
            raise FranceConnectUnavailable(f"token endpoint: {type(error).__name__}") from error
        except ValueError as error:  # not JSON: a proxy's error page, say
            raise FranceConnectUnavailable("token endpoint: unreadable answer") from error
        if not token.get("id_token") or not token.get("access_token"):
            raise TokenRejected("token endpoint: no id_token or access_token")
        return dict(token)

    def _verify_jwt(self, value: str, *, required=("sub",), **claims) -> dict:
        """Signature (ES256/RS256 only, key from the JWKS by kid), then the claims: those `required`
        must be present, those given must equal their value; exp, nbf and iat are checked when present."""
        try:
            header = jws.extract_compact(value.encode()).headers()
        except (JoseError, ValueError) as error:
            raise TokenRejected("jwt: malformed") from error
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise TokenRejected(f"jwt: algorithm {header.get('alg')!r} refused")
        try:
            try:
                token = jwt.decode(value, self._keyset(), algorithms=ALLOWED_ALGORITHMS)
            except InvalidKeyIdError:
                # The provider rotated its keys: fetch them again, once.
                token = jwt.decode(value, self._keyset(refresh=True), algorithms=ALLOWED_ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                leeway=CLOCK_SKEW_SECONDS,
                **{name: {"essential": True} for name in required},
                **{name: {"essential": True, "value": expected} for name, expected in claims.items()},
            )
            registry.validate(token.claims)
        except JoseError as error:
            raise TokenRejected(f"jwt: {error.error}") from error
        return token.claims

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict:
        return self._verify_jwt(
            id_token,
            required=("sub", "exp", "iat"),
            iss=self.issuer,
            aud=self.client_id,
            nonce=nonce,
            acr=ACR,
        )

    def fetch_userinfo(self, access_token: str, *, sub: str) -> dict:
        """FranceConnect v2 answers with a signed JWT, verified like the ID token; its sub must match."""
        response = self._get(
            self.metadata()["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
        )
        if response.status_code != 200:
            raise TokenRejected(f"userinfo: HTTP {response.status_code}")
        if response.headers.get("content-type", "").split(";")[0].strip() != "application/jwt":
            raise TokenRejected("userinfo: not a signed JWT")
        claims = self._verify_jwt(response.text.strip(), iss=self.issuer, aud=self.client_id)
        if claims.get("sub") != sub:
            raise TokenRejected("userinfo: sub differs from the ID token's")
        return claims

    def end_session_url(self, *, id_token_hint: str, state: str, post_logout_redirect_uri: str) -> str:
        query = urlencode(
            {
                "id_token_hint": id_token_hint,
                "state": state,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        return f"{self.metadata()['end_session_endpoint']}?{query}"
