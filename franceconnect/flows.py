"""One FranceConnect round trip, shared by sign-in, account linking and the tax-data consent.

`flow_start` keeps what the callback needs in the session; `flow_finish` runs every check on the
way back (single-use state bound to this session, age, provider error, RFC 9207 `iss`, code
exchange, ID token) and returns the verified tokens, or raises FranceConnectError with a reason."""

import secrets
import time
from dataclasses import asdict, dataclass

from django.shortcuts import redirect

from franceconnect.client import Flow, FranceConnectClient, FranceConnectError, new_flow

FLOW_KEY = "franceconnect_flow"
FLOW_LIFETIME_SECONDS = 10 * 60


class FlowStopped(FranceConnectError):
    """The round trip ended without tokens: `reason` is one of franceconnect.views.ERRORS."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class FinishedFlow:
    purpose: str
    extra: dict
    access_token: str
    id_token: str
    id_claims: dict
    client: FranceConnectClient


def is_account_holder(user, finished: FinishedFlow) -> bool:
    """Whether the person who came back from FranceConnect is the one the account is linked to (a data flow asked
    from a signed-in account must never fetch someone else's data)."""
    linked = getattr(user, "franceconnect", None)
    return linked is not None and linked.sub == finished.id_claims["sub"]


def flow_start(request, *, purpose: str, redirect_uri: str, scopes: str | None = None, **extra):
    """Redirect to FranceConnect; raises FranceConnectError when it cannot be reached."""
    flow = new_flow(redirect_uri)
    url = FranceConnectClient(scopes=scopes).authorization_url(flow)
    request.session[FLOW_KEY] = {
        **asdict(flow),
        "purpose": purpose,
        "scopes": scopes,
        "extra": extra,
        "started_at": time.time(),
    }
    return redirect(url)


def flow_finish(request, *, purpose: str) -> FinishedFlow:
    stored = request.session.pop(FLOW_KEY, None)  # single use, whatever happens next
    if not stored or not secrets.compare_digest(stored["state"], request.GET.get("state", "")):
        raise FlowStopped("expired", "unknown or replayed state")
    if stored["purpose"] != purpose:
        raise FlowStopped("expired", "flow started for another purpose")
    if time.time() - stored["started_at"] > FLOW_LIFETIME_SECONDS:
        raise FlowStopped("expired", "state too old")
    if "error" in request.GET:
        reason = "cancelled" if request.GET["error"] == "access_denied" else "provider"
        raise FlowStopped(reason, request.GET["error"])
    client = FranceConnectClient(scopes=stored["scopes"])
    if request.GET.get("iss") and request.GET["iss"].rstrip("/") != client.issuer:
        raise FlowStopped("invalid", "iss parameter mismatch")
    flow = Flow(**{field: stored[field] for field in ("state", "nonce", "code_verifier", "redirect_uri")})
    token = client.exchange_code(flow, request.GET.get("code", ""))
    id_claims = client.verify_id_token(token["id_token"], nonce=flow.nonce)
    return FinishedFlow(
        purpose=purpose,
        extra=stored["extra"],
        access_token=token["access_token"],
        id_token=token["id_token"],
        id_claims=id_claims,
        client=client,
    )
