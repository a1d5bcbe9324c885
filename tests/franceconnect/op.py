"""A fake OpenID provider for respx: signs tokens the way FranceConnect does, and lets tests tamper with them."""

import time
from urllib.parse import parse_qs, urlparse

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

ISSUER = "https://fc.example.test/api/v2"
CLIENT_ID = "client-portail"
CLIENT_SECRET = "secret-portail"
SUB = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"

# The public FranceConnect sandbox identity "test", as its userinfo releases it for the portal's scopes.
IDENTITY = {
    "given_name": "Angela Claire Louise",
    "given_name_array": ["Angela", "Claire", "Louise"],
    "family_name": "DUBOIS",
    "birthdate": "1962-08-24",
    "gender": "female",
    "birthplace": "75107",
    "birthcountry": "99100",
    "email": "wossewodda-3728@yopmail.com",
}


class FakeProvider:
    """Serves discovery, JWKS, token and userinfo through respx; every output can be overridden per test."""

    def __init__(self, respx_mock, *, key=None):
        self.key = key or ECKey.generate_key("P-256", parameters={"kid": "key-1", "use": "sig"})
        self.alg = "ES256" if self.key.key_type == "EC" else "RS256"
        self.id_claims = {}
        self.userinfo_claims = {}
        self.userinfo_headers = {}
        self.userinfo_content_type = "application/jwt"
        self.token_requests = []
        self.nonce = None
        self.jwks_calls = 0
        self.mock = respx_mock
        respx_mock.get(f"{ISSUER}/.well-known/openid-configuration").mock(
            return_value=httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "userinfo_endpoint": f"{ISSUER}/userinfo",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "end_session_endpoint": f"{ISSUER}/session/end",
                },
            )
        )
        self.jwks_route = respx_mock.get(f"{ISSUER}/jwks").mock(side_effect=self._jwks)
        self.token_route = respx_mock.post(f"{ISSUER}/token").mock(side_effect=self._token)
        self.userinfo_route = respx_mock.get(f"{ISSUER}/userinfo").mock(side_effect=self._userinfo)

    def _jwks(self, request):
        self.jwks_calls += 1
        return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})

    def sign(self, claims, *, key=None, alg=None, kid=None):
        key = key or self.key
        header = {"alg": alg or self.alg, "kid": kid or key.kid}
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    def claims(self, **overrides):
        """The ID token's claims, as FranceConnect sends them; None removes a claim."""
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": SUB,
            "aud": CLIENT_ID,
            "exp": now + 60,
            "iat": now,
            "auth_time": now,
            "acr": "eidas1",
            "nonce": self.nonce,
            **overrides,
        }
        return {k: v for k, v in claims.items() if v is not None}

    def id_token(self, **overrides):
        return self.sign(self.claims(**overrides))

    def _token(self, request):
        form = parse_qs(request.content.decode())
        self.token_requests.append({"form": form, "headers": dict(request.headers)})
        return httpx.Response(
            200,
            json={
                "access_token": "access-123",
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": self.id_token(**self.id_claims),
            },
        )

    def _userinfo(self, request):
        if request.headers.get("authorization") != "Bearer access-123":
            return httpx.Response(401)
        claims = {"sub": SUB, "iss": ISSUER, "aud": CLIENT_ID, **IDENTITY, **self.userinfo_claims}
        return httpx.Response(
            200,
            text=self.sign(claims, **self.userinfo_headers),
            headers={"content-type": self.userinfo_content_type},
        )


def authorize_params(url):
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
