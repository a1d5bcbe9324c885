"""What development (dev) and the tests (test) add to production's settings (base): the embedded FranceConnect,
DGFiP and API Particulier simulators, their apps and URLs, and the defaults that point the clients at them. Production never
loads this module, so nothing in base names a simulator.

A real environment variable still wins over every default here."""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import _LOOPBACK, INSTALLED_APPS, SITE_URL, _site, content_security_policy, env

# The simulators' apps register their deployment checks; their URLs are mounted by ROOT_URLCONF.
INSTALLED_APPS = [*INSTALLED_APPS, "franceconnect.sandbox", "impot_client.sandbox", "api_particulier.sandbox"]
ROOT_URLCONF = "portal.urls_dev"

# A developer may type either loopback name in the browser: the simulators accept both, on SITE_URL's port.
_SITE_ORIGINS = (
    [SITE_URL.replace(_site.hostname, name, 1) for name in _LOOPBACK]
    if _site.hostname in _LOOPBACK
    else [SITE_URL]
)

# FranceConnect: with FRANCECONNECT_SANDBOX the portal serves its own simulator under /sandbox/franceconnect/
# (only with DEBUG=true) and the defaults point the client at it; false, the client uses the FRANCECONNECT_*
# values, FranceConnect's integration platform for instance.
FRANCECONNECT_SANDBOX = env.bool("FRANCECONNECT_SANDBOX", default=True)
if FRANCECONNECT_SANDBOX:
    FRANCECONNECT_ISSUER = env.str("FRANCECONNECT_ISSUER", default=f"{SITE_URL}/sandbox/franceconnect/api/v2")
    FRANCECONNECT_CLIENT_ID = env.str("FRANCECONNECT_CLIENT_ID", default="portail-famille-sandbox")
    FRANCECONNECT_CLIENT_SECRET = env.str(
        "FRANCECONNECT_CLIENT_SECRET", default="sandbox-secret-not-for-production"
    )
    CONTENT_SECURITY_POLICY = content_security_policy(FRANCECONNECT_ISSUER)
# The simulator's registered client: where it may send the user back after sign-in (and the consent to the
# DGFiP scopes) and after logout.
FRANCECONNECT_SANDBOX_REDIRECT_URIS = env.list(
    "FRANCECONNECT_SANDBOX_REDIRECT_URIS",
    default=[
        origin + path
        for path in (
            "/franceconnect/callback/",
            "/demarches/revenus/franceconnect/retour/",
            "/demarches/stationnement/franceconnect/retour/",
        )
        for origin in _SITE_ORIGINS
    ],
)
FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS = env.list(
    "FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS",
    default=[f"{origin}/franceconnect/logout/callback/" for origin in _SITE_ORIGINS],
)

# DGFiP API Impôt particulier: with IMPOT_SANDBOX the portal serves its own simulator under /sandbox/dgfip/
# (only with DEBUG=true) and the defaults point the client at it.
IMPOT_SANDBOX = env.bool("IMPOT_SANDBOX", default=True)
if IMPOT_SANDBOX:
    _IMPOT_SANDBOX_URL = f"{SITE_URL}/sandbox/dgfip"
    IMPOT_API_URL = env.str("IMPOT_API_URL", default=f"{_IMPOT_SANDBOX_URL}/impotparticulier/1.0")
    IMPOT_TOKEN_URL = env.str("IMPOT_TOKEN_URL", default=f"{_IMPOT_SANDBOX_URL}/token")
    IMPOT_CLIENT_ID = env.str("IMPOT_CLIENT_ID", default="portail-famille-dgfip-sandbox")
    IMPOT_CLIENT_SECRET = env.str("IMPOT_CLIENT_SECRET", default="sandbox-dgfip-secret-not-for-production")
    IMPOT_ID_TELESERVICE = env.str("IMPOT_ID_TELESERVICE", default="portail-famille-sandbox")
    # DGFiP's header is ID_Teleservice, but WSGI servers (Django's runserver and live test server included) drop
    # header names holding an underscore: the embedded simulator can only receive it spelt ID-Teleservice.
    IMPOT_TELESERVICE_HEADER = env.str("IMPOT_TELESERVICE_HEADER", default="ID-Teleservice")

# API Particulier (CAF and MSA data): with API_PARTICULIER_SANDBOX the portal serves its own simulator under
# /sandbox/api-particulier/ (only with DEBUG=true) and the defaults point the client at it.
API_PARTICULIER_SANDBOX = env.bool("API_PARTICULIER_SANDBOX", default=True)
if API_PARTICULIER_SANDBOX:
    API_PARTICULIER_URL = env.str("API_PARTICULIER_URL", default=f"{SITE_URL}/sandbox/api-particulier")
    API_PARTICULIER_TOKEN = env.str(
        "API_PARTICULIER_TOKEN", default="sandbox-api-particulier-token-not-for-production"
    )
    # A fictitious SIRET (14 digits, Luhn-valid): the simulator requires a recipient, as API Particulier does.
    API_PARTICULIER_RECIPIENT = env.str("API_PARTICULIER_RECIPIENT", default="21000000000013")

# The demo commune issues a resident card at once when the State's data checked everything (make run shows it).
PARKING_AUTO_ISSUE = env.bool("PARKING_AUTO_ISSUE", default=True)
