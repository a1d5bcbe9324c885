"""Each verification of the FranceConnect client, each with a token that breaks exactly that rule."""

import base64
import json
import time

import httpx
import pytest
from joserfc.jwk import ECKey, OctKey, RSAKey

from franceconnect.client import FranceConnectClient, FranceConnectUnavailable, TokenRejected, new_flow
from tests.franceconnect.op import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    SUB,
    FakeProvider,
    authorize_params,
)  # noqa: F401

REDIRECT = "https://portail.example.test/franceconnect/callback/"


@pytest.fixture
def client(provider):
    return FranceConnectClient()


@pytest.fixture
def flow(provider):
    flow = new_flow(REDIRECT)
    provider.nonce = flow.nonce
    return flow


class TestAuthorizationRequest:
    def test_carries_state_nonce_pkce_eidas1_and_prompt(self, client, flow):
        params = authorize_params(client.authorization_url(flow))
        assert params["client_id"] == CLIENT_ID
        assert params["redirect_uri"] == REDIRECT
        assert params["response_type"] == "code"
        assert params["state"] == flow.state and len(flow.state) >= 32
        assert params["nonce"] == flow.nonce and len(flow.nonce) >= 32
        assert params["code_challenge_method"] == "S256" and params["code_challenge"]
        assert params["acr_values"] == "eidas1"
        assert params["prompt"] == "login consent"
        assert params["scope"].split()[0] == "openid"

    def test_each_flow_is_random(self):
        first, second = new_flow(REDIRECT), new_flow(REDIRECT)
        assert len({first.state, second.state, first.nonce, second.nonce}) == 4


class TestTokenExchange:
    def test_uses_client_secret_post_and_the_code_verifier(self, client, flow, provider):
        client.exchange_code(flow, "code-1")
        request = provider.token_requests[0]
        assert request["form"]["client_id"] == [CLIENT_ID]
        assert request["form"]["client_secret"] == [CLIENT_SECRET]
        assert request["form"]["code_verifier"] == [flow.code_verifier]
        assert request["form"]["redirect_uri"] == [REDIRECT]
        assert "authorization" not in {key.lower() for key in request["headers"]}

    def test_error_answer_is_a_rejection(self, client, flow, provider):
        provider.token_route.mock(return_value=httpx.Response(400, json={"error": "invalid_grant"}))
        with pytest.raises(TokenRejected):
            client.exchange_code(flow, "code-1")

    @pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
    def test_unreachable_or_slow_is_unavailable(self, client, flow, provider, failure):
        provider.token_route.mock(side_effect=failure)
        with pytest.raises(FranceConnectUnavailable):
            client.exchange_code(flow, "code-1")


def verify(client, provider, flow, **overrides):
    return client.verify_id_token(provider.id_token(**overrides), nonce=flow.nonce)


class TestIdToken:
    def test_valid_token_gives_its_claims(self, client, provider, flow):
        assert verify(client, provider, flow)["sub"] == SUB

    def test_rs256_is_accepted(self, respx_mock, settings, flow):

        settings.FRANCECONNECT_ISSUER, settings.FRANCECONNECT_CLIENT_ID = ISSUER, CLIENT_ID
        rsa = FakeProvider(respx_mock, key=RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}))
        rsa.nonce = flow.nonce
        assert FranceConnectClient().verify_id_token(rsa.id_token(), nonce=flow.nonce)["sub"] == SUB

    def test_signature_from_another_key_is_refused(self, client, provider, flow):
        impostor = ECKey.generate_key("P-256", parameters={"kid": "key-1"})
        token = provider.sign(provider.claims(), key=impostor)
        with pytest.raises(TokenRejected):
            client.verify_id_token(token, nonce=flow.nonce)

    def test_hs256_signed_with_the_client_secret_is_refused(self, client, provider, flow):
        secret = OctKey.import_key(CLIENT_SECRET)
        token = provider.sign(provider.claims(), key=secret, alg="HS256", kid="key-1")
        with pytest.raises(TokenRejected, match="algorithm"):
            client.verify_id_token(token, nonce=flow.nonce)

    def test_alg_none_is_refused(self, client, provider, flow):
        header, payload, _signature = provider.id_token().split(".")
        none_header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
        with pytest.raises(TokenRejected):
            client.verify_id_token(f"{none_header}.{payload}.", nonce=flow.nonce)

    def test_tampered_payload_is_refused(self, client, provider, flow):
        header, _payload, signature = provider.id_token().split(".")
        _h, other_payload, _s = provider.id_token(sub="someone-else").split(".")
        with pytest.raises(TokenRejected):
            client.verify_id_token(f"{header}.{other_payload}.{signature}", nonce=flow.nonce)

    @pytest.mark.parametrize(
        "overrides",
        [
            {"iss": "https://evil.example/api/v2"},
            {"aud": "another-client"},
            {"nonce": "another-nonce-from-another-session-0123456789"},
            {"acr": "eidas2"},
            {"exp": -120},
            {"iat": 600},
        ],
        ids=["iss", "aud", "nonce", "acr", "exp", "iat-in-the-future"],
    )
    def test_each_claim_is_checked(self, client, provider, flow, overrides):
        # Times as offsets from when the test runs, not from collection: a long suite reaches it minutes later.
        overrides = {
            name: int(time.time()) + value if name in ("exp", "iat") else value for name, value in overrides.items()
        }
        with pytest.raises(TokenRejected):
            verify(client, provider, flow, **overrides)

    @pytest.mark.parametrize("claim", ["nonce", "acr", "sub", "aud", "exp", "iat"])
    def test_missing_claims_are_refused(self, client, provider, flow, claim):
        provider.nonce = provider.nonce if claim != "nonce" else None
        overrides = {claim: None} if claim != "nonce" else {}
        with pytest.raises(TokenRejected):
            verify(client, provider, flow, **overrides)

    def test_small_clock_skew_is_tolerated(self, client, provider, flow):
        verify(client, provider, flow, iat=int(time.time()) + 10, exp=int(time.time()) - 10)


class TestJwksCache:
    def test_jwks_fetched_once_for_many_logins(self, client, provider, flow):
        for _ in range(3):
            verify(client, provider, flow)
        assert provider.jwks_calls == 1

    def test_unknown_kid_triggers_one_refresh(self, client, provider, flow):
        verify(client, provider, flow)
        provider.key = ECKey.generate_key("P-256", parameters={"kid": "key-2"})  # the provider rotated
        assert verify(client, provider, flow)["sub"] == SUB
        assert provider.jwks_calls == 2

    def test_kid_still_unknown_after_refresh_is_refused(self, client, provider, flow):
        stranger = ECKey.generate_key("P-256", parameters={"kid": "key-9"})
        token = provider.sign(provider.claims(), key=stranger)
        with pytest.raises(TokenRejected):
            client.verify_id_token(token, nonce=flow.nonce)
        assert provider.jwks_calls == 2


class TestUserinfo:
    def test_signed_userinfo_gives_the_identity(self, client, provider):
        claims = client.fetch_userinfo("access-123", sub=SUB)
        assert claims["family_name"] == "DUBOIS" and claims["birthcountry"] == "99100"

    def test_plain_json_userinfo_is_refused(self, client, provider):
        provider.userinfo_route.mock(return_value=httpx.Response(200, json={"sub": SUB}))
        with pytest.raises(TokenRejected, match="signed JWT"):
            client.fetch_userinfo("access-123", sub=SUB)

    def test_userinfo_sub_must_match_the_id_token(self, client, provider):
        provider.userinfo_claims = {"sub": "another-sub"}
        with pytest.raises(TokenRejected, match="sub"):
            client.fetch_userinfo("access-123", sub=SUB)

    def test_userinfo_signed_by_another_key_is_refused(self, client, provider):
        provider.userinfo_headers = {"key": ECKey.generate_key("P-256", parameters={"kid": "key-1"})}
        with pytest.raises(TokenRejected):
            client.fetch_userinfo("access-123", sub=SUB)

    def test_userinfo_from_another_issuer_is_refused(self, client, provider):
        provider.userinfo_claims = {"iss": "https://evil.example"}
        with pytest.raises(TokenRejected):
            client.fetch_userinfo("access-123", sub=SUB)

    def test_expired_access_token_is_refused(self, client, provider):
        with pytest.raises(TokenRejected):
            client.fetch_userinfo("expired-token", sub=SUB)

    def test_server_error_is_unavailable(self, client, provider):
        provider.userinfo_route.mock(return_value=httpx.Response(503))
        with pytest.raises(FranceConnectUnavailable):
            client.fetch_userinfo("access-123", sub=SUB)


def test_discovery_with_another_issuer_is_refused(respx_mock, settings):
    settings.FRANCECONNECT_ISSUER = ISSUER
    respx_mock.get(f"{ISSUER}/.well-known/openid-configuration").mock(
        return_value=httpx.Response(200, json={"issuer": "https://evil.example/api/v2"})
    )
    with pytest.raises(TokenRejected):
        FranceConnectClient().metadata()


def test_end_session_url_has_the_three_parameters(client):
    url = client.end_session_url(id_token_hint="idt", state="st", post_logout_redirect_uri="https://p/cb/")
    assert url.startswith(f"{ISSUER}/session/end?")
    assert authorize_params(url) == {
        "id_token_hint": "idt",
        "state": "st",
        "post_logout_redirect_uri": "https://p/cb/",
    }
