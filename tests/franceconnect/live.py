"""Points the portal at its own FranceConnect and DGFiP simulators on a live server: the values
portal/settings/simulators.py derives from SITE_URL when `make run HOST=...` starts, for the live server's port
(settings are read once, before the port is known). tests/portal/test_settings.py checks the derivation itself."""

SANDBOX_PATH = "/sandbox/franceconnect/api/v2"


def use_sandbox(settings, base_url):
    settings.DEBUG = True  # the simulators refuse to serve otherwise; pytest-django turns DEBUG off
    settings.SITE_URL = base_url
    settings.FRANCECONNECT_SANDBOX = True
    settings.ROOT_URLCONF = "portal.urls_dev"
    settings.FRANCECONNECT_ISSUER = base_url + SANDBOX_PATH
    settings.FRANCECONNECT_CLIENT_ID = "portail-famille-sandbox"
    settings.FRANCECONNECT_CLIENT_SECRET = "sandbox-secret-not-for-production"
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = [
        f"{base_url}/franceconnect/callback/",
        f"{base_url}/demarches/revenus/franceconnect/retour/",
        f"{base_url}/demarches/stationnement/franceconnect/retour/",
    ]
    settings.FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS = [f"{base_url}/franceconnect/logout/callback/"]
    settings.IMPOT_SANDBOX = True
    settings.IMPOT_API_URL = base_url + "/sandbox/dgfip/impotparticulier/1.0"
    settings.IMPOT_TOKEN_URL = base_url + "/sandbox/dgfip/token"
    settings.IMPOT_CLIENT_ID = "portail-famille-dgfip-sandbox"
    settings.IMPOT_CLIENT_SECRET = "sandbox-dgfip-secret-not-for-production"
    settings.IMPOT_ID_TELESERVICE = "portail-famille-sandbox"
    settings.IMPOT_TELESERVICE_HEADER = "ID-Teleservice"  # the only spelling a WSGI server passes on
