"""Points the portal at its own FranceConnect simulator on a live server, as `make run` does on port 8000."""

SANDBOX_PATH = "/sandbox/franceconnect/api/v2"


def use_sandbox(settings, base_url):
    settings.DEBUG = True  # the simulator refuses to serve otherwise; pytest-django turns DEBUG off
    settings.FRANCECONNECT_SANDBOX = True
    settings.ROOT_URLCONF = "tests.franceconnect.sandbox_urls"
    settings.FRANCECONNECT_ISSUER = base_url + SANDBOX_PATH
    settings.FRANCECONNECT_CLIENT_ID = "portail-famille-sandbox"
    settings.FRANCECONNECT_CLIENT_SECRET = "sandbox-secret-not-for-production"
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = [f"{base_url}/franceconnect/callback/"]
    settings.FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS = [f"{base_url}/franceconnect/logout/callback/"]
