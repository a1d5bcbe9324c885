"""The simulator's signing key and secrets, derived from SECRET_KEY so that every worker process signs
with the same key and computes the same pairwise `sub`, with nothing to store or share."""

import functools

from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.crypto import salted_hmac
from joserfc import jwt
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
# Order of the P-256 group: a private scalar must lie in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def derived_secret(purpose: str) -> bytes:
    """A secret for one purpose, so that no two uses of SECRET_KEY share a value."""
    return salted_hmac("franceconnect.sandbox", purpose, algorithm="sha256").digest()


@functools.lru_cache(maxsize=4)
def _key_from(secret: bytes) -> ECKey:
    scalar = int.from_bytes(secret, "big") % (_P256_ORDER - 1) + 1
    key = ECKey.import_key(ec.derive_private_key(scalar, ec.SECP256R1()), {"alg": ALGORITHM, "use": "sig"})
    key.ensure_kid()  # RFC 7638 thumbprint: changes with the key, so clients notice a rotation
    return key


def signing_key() -> ECKey:
    """The ES256 private key; cached per SECRET_KEY (tests may change it)."""
    return _key_from(derived_secret("signing-key"))


def jwks() -> dict:
    """The public JWK Set: the public half only."""
    return {"keys": [signing_key().as_dict(private=False)]}


def sign(claims: dict) -> str:
    """A compact JWS (JWT) signed with the simulator's key, its `kid` in the header like FranceConnect's."""
    key = signing_key()
    return jwt.encode({"alg": ALGORITHM, "kid": key.kid}, claims, key, algorithms=[ALGORITHM])


def verify(token: str) -> dict:
    """The claims of a JWT this simulator signed; raises joserfc.errors.JoseError otherwise.
    Time claims are not checked: callers decide what expiry means to them."""
    return jwt.decode(token, signing_key(), algorithms=[ALGORITHM]).claims
