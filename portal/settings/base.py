"""Production settings of Portail Famille (DJANGO_SETTINGS_MODULE=portal.settings.base), read from the real
environment only (see .env.example); development (dev) and the tests (test) add the simulators on top.

Production only changes environment variables; nothing here branches on the
host. DEBUG defaults to off so that a forgotten variable fails safe.
"""

from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY est obligatoire : voir .env.example.")
# Rotation (docs/deploiement.md): the new key in SECRET_KEY, the old one here until the sessions, password-reset and
# confirmation links it signed have expired (a day); then removed.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
COMMUNE_NAME = env.str("COMMUNE_NAME", default="Ville de Beauval")
# The commune's identity on every page (portal.theme): its logo (a path among the static files, or empty for none)
# and two colours, each checked at start to reach 4.5:1 against white (portal.E010, portal.E011).
COMMUNE_LOGO = env.str("COMMUNE_LOGO", default="portal/commune-logo.svg")
COMMUNE_PRIMARY_COLOR = env.str("COMMUNE_PRIMARY_COLOR", default="#0b5d4b")
COMMUNE_SECONDARY_COLOR = env.str("COMMUNE_SECONDARY_COLOR", default="#8a3b12")
# The legal pages' details (mentions légales, déclaration d'accessibilité): placeholders until the commune fills them.
COMMUNE_ADDRESS = env.str("COMMUNE_ADDRESS", default="Hôtel de ville, 1 place de la Mairie, 00000 Beauval")
COMMUNE_EMAIL = env.str("COMMUNE_EMAIL", default="portail-famille@beauval.example")
COMMUNE_PHONE = env.str("COMMUNE_PHONE", default="01 00 00 00 00")
COMMUNE_SIREN = env.str("COMMUNE_SIREN", default="à renseigner")
COMMUNE_PUBLICATION_DIRECTOR = env.str("COMMUNE_PUBLICATION_DIRECTOR", default="le maire de la commune")
HOSTING_PROVIDER = env.str("HOSTING_PROVIDER", default="hébergeur à renseigner")
HOSTING_ADDRESS = env.str("HOSTING_ADDRESS", default="adresse de l'hébergeur à renseigner")
HOSTING_PHONE = env.str("HOSTING_PHONE", default="")
ACCESSIBILITY_CONTACT_EMAIL = env.str("ACCESSIBILITY_CONTACT_EMAIL", default=COMMUNE_EMAIL)
ACCESSIBILITY_STATEMENT_DATE = env.str("ACCESSIBILITY_STATEMENT_DATE", default="2 décembre 2026")
# Where families reach the portal: emails sent by the task worker, outside any request, link to it. The dev and
# test settings derive more addresses from it, so `make run HOST=...` (which sets it) is enough.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
_LOOPBACK = ("127.0.0.1", "localhost")
# Unset or empty (which would refuse every request): the loopback names and SITE_URL's host.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[]) or sorted({*_LOOPBACK, _site.hostname})
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Who reads the operational alerts (portal.alerts): ADMINS="Nom <adresse>, ..." and ALERT_EMAILS, a list of
# addresses, defaulting to those of ADMINS. Without either, alerts only show on the admin index.
ADMINS = [(name, address) for name, address in getaddresses([env.str("ADMINS", default="")]) if address]
ALERT_EMAILS = env.list("ALERT_EMAILS", default=[address for _name, address in ADMINS])

INSTALLED_APPS = [
    "portal.apps.AgentAdminConfig",  # django.contrib.admin, its site asking agents for a TOTP code
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "portal",
    "cantine",
    "franceconnect",
    "impot_client",
    "api_particulier",
    "stationnement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the admin's second factor
    "portal.middleware.SignedInPagesNotStoredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.DependencyFailureMiddleware",  # Redis down in a view: a French 503 page, not a 500
    "portal.uploads.RequestBodyLimitMiddleware",  # a body over UPLOAD_MAX_REQUEST_BYTES is never read
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.commune",
                "franceconnect.context_processors.franceconnect_session",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: a new PostgreSQL connection per request cost about 17 % of a worker's time. Each is
# checked before reuse (CONN_HEALTH_CHECKS), so a restarted database costs one failed check, not a 500.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"].get("ENGINE") == "django.db.backends.postgresql":
    # No JIT compilation: it never pays for the portal's queries and fires on the cost estimates of the income
    # state's EXISTS subplans (cantine.income.selectors.income_state): the states of 2 000 dossiers took 3.4 s,
    # 3 of them compiling, and 0.3 s without it.
    # Random reads priced as the SSD or RAM they come from (PostgreSQL's default of 4 is a spinning disk's, which
    # its documentation says to lower when the data is cached): the agents' list searched by name read all 100 000
    # dossiers (19 ms) rather than the 400 of the children found through their index (1 ms).
    # DATABASE_RANDOM_PAGE_COST moves it; a value set in the database's own configuration is overridden.
    random_page_cost = env.float("DATABASE_RANDOM_PAGE_COST", default=1.1)
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    db_options["options"] = (
        f"{db_options.get('options', '')} -c jit=off -c random_page_cost={random_page_cost}".strip()
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Production: CACHE_URL=redis://127.0.0.1:6379/1, shared by every worker and server (sessions, the DGFiP token and
# quota, the simulators' codes). CACHE_KEY_PREFIX keeps apart the portals (or test runs) that share one Redis.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if env.str("CACHE_KEY_PREFIX", default=""):
    CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX")
# Sessions read from the cache and written through to the database: a cache restart signs nobody out, and any
# server behind the load balancer finds the session (a FranceConnect sign-in started on one ends on another).
SESSION_ENGINE = "portal.sessions"  # cached_db, surviving a cache outage

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = ["portal.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day, for the reset and the sign-up confirmation links
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Agents open the admin with a TOTP code as well (portal.sites); the name authenticator apps show for the key.
OTP_TOTP_ISSUER = f"Portail Famille {COMMUNE_NAME}"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True
# French numbers everywhere: « 1 283,33 », the admin included (portal.formats for amounts and units).
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Development serves straight from the apps' folders; production serves what collectstatic gathered.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_MANIFEST_STRICT = False

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{COMMUNE_NAME} <ne-pas-repondre@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks (django-tasks, the backport of Django's task framework): emails to families are queued in the
# database and sent by `python manage.py db_worker`, so a mail outage never fails nor slows a request.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# /healthz reports the worker "late" (the node stays healthy) when a task has been ready for longer than this.
TASKS_WORKER_LATE_AFTER_SECONDS = env.int("TASKS_WORKER_LATE_AFTER_SECONDS", default=15 * 60)

# Security headers. Off-DEBUG values are those `check --deploy` asks for.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def content_security_policy(franceconnect_issuer: str) -> dict:
    """The CSP for a FranceConnect issuer: dev and test call it again once they point the client elsewhere."""
    form_action = [SELF]
    if franceconnect_issuer:
        # The FranceConnect button is a form whose answer redirects to FranceConnect, and so is logout:
        # browsers apply form-action to that redirect, so FranceConnect's origin must be allowed.
        issuer = urlsplit(franceconnect_issuer)
        form_action.append(f"{issuer.scheme}://{issuer.netloc}")
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF],
            "img-src": [SELF, "data:"],
            "font-src": [SELF],
            "connect-src": [SELF],
            "form-action": form_action,
            "frame-ancestors": [NONE],
            "object-src": [NONE],
            "base-uri": [NONE],
        },
    }


# FranceConnect (OpenID Connect v2). Only settings differ between FranceConnect's integration platform and
# production: the client has no branch for either.
FRANCECONNECT_ISSUER = env.str("FRANCECONNECT_ISSUER", default="")
FRANCECONNECT_CLIENT_ID = env.str("FRANCECONNECT_CLIENT_ID", default="")
FRANCECONNECT_CLIENT_SECRET = env.str("FRANCECONNECT_CLIENT_SECRET", default="")
FRANCECONNECT_SCOPES = env.str(
    "FRANCECONNECT_SCOPES",
    default="openid given_name family_name birthdate birthplace birthcountry gender email preferred_username",
)
FRANCECONNECT_TIMEOUT = env.float("FRANCECONNECT_TIMEOUT", default=5.0)
CONTENT_SECURITY_POLICY = content_security_policy(FRANCECONNECT_ISSUER)

# DGFiP API Impôt particulier: production sets the DataPass values.
IMPOT_API_URL = env.str("IMPOT_API_URL", default="")
IMPOT_TOKEN_URL = env.str("IMPOT_TOKEN_URL", default="")
IMPOT_CLIENT_ID = env.str("IMPOT_CLIENT_ID", default="")
IMPOT_CLIENT_SECRET = env.str("IMPOT_CLIENT_SECRET", default="")
IMPOT_ID_TELESERVICE = env.str("IMPOT_ID_TELESERVICE", default="")
IMPOT_TELESERVICE_HEADER = env.str("IMPOT_TELESERVICE_HEADER", default="ID_Teleservice")
# The OAuth scope the token request asks for: the contract ties each resource to one, and the client calls
# situations/ir/assiettes (RessourceIR).
IMPOT_TOKEN_SCOPE = env.str("IMPOT_TOKEN_SCOPE", default="RessourceIR")
IMPOT_CLIENT_CERT = env.str("IMPOT_CLIENT_CERT", default="")  # mTLS: paths to the certificate DGFiP knows
IMPOT_CLIENT_KEY = env.str("IMPOT_CLIENT_KEY", default="")
IMPOT_QUOTA_PER_MINUTE = env.int("IMPOT_QUOTA_PER_MINUTE", default=50)
# Lookups refused for the quota for longer than this: the alert recipients are told (portal.alerts).
IMPOT_QUOTA_ALERT_AFTER_MINUTES = env.int("IMPOT_QUOTA_ALERT_AFTER_MINUTES", default=5)
IMPOT_TIMEOUT = env.float("IMPOT_TIMEOUT", default=5.0)  # seconds, to connect and to read
IMPOT_RETRY_BACKOFF = env.float("IMPOT_RETRY_BACKOFF", default=0.5)  # seconds before the single retry
# Figures obtained by numéro fiscal (local accounts, identity not certified) are used for the tariff only once an
# agent has confirmed the declarants are the household's; false lets a matching lookup set the tariff at once.
IMPOT_NUMERO_FISCAL_NEEDS_AGENT = env.bool("IMPOT_NUMERO_FISCAL_NEEDS_AGENT", default=True)
# Lookups by numéro fiscal, per account and per dossier ("limits" notation, ";" between windows): attempts, and
# distinct numbers tried. Every attempt makes at most 4 DGFiP calls (year fallback, one retry each), well under
# IMPOT_QUOTA_PER_MINUTE, so no family can exhaust the commune's quota.
IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_ACCOUNT = env.str(
    "IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_ACCOUNT", default="5/hour;10/day"
)
IMPOT_NUMERO_FISCAL_NUMBERS_PER_ACCOUNT = env.str("IMPOT_NUMERO_FISCAL_NUMBERS_PER_ACCOUNT", default="3/day")
IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER = env.str(
    "IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER", default="3/hour;6/day"
)
IMPOT_NUMERO_FISCAL_NUMBERS_PER_DOSSIER = env.str(
    "IMPOT_NUMERO_FISCAL_NUMBERS_PER_DOSSIER", default="2/hour;3/day"
)

# API Particulier (CAF/MSA quotient familial, PSU resources): the commune's token from its DataPass habilitation,
# and its SIRET as the `recipient` every call must name (checked at start when the URL is set).
API_PARTICULIER_URL = env.str("API_PARTICULIER_URL", default="")
API_PARTICULIER_TOKEN = env.str("API_PARTICULIER_TOKEN", default="")
API_PARTICULIER_RECIPIENT = env.str("API_PARTICULIER_RECIPIENT", default="")
API_PARTICULIER_TIMEOUT = env.float("API_PARTICULIER_TIMEOUT", default=5.0)  # seconds, to connect and to read
# CAF/MSA figures found by the identity of a local account wait for an agent to confirm the allocataires before
# they set a tariff or are shown to the family (like IMPOT_NUMERO_FISCAL_NEEDS_AGENT).
API_PARTICULIER_IDENTITY_NEEDS_AGENT = env.bool("API_PARTICULIER_IDENTITY_NEEDS_AGENT", default=True)

# Fiscal amounts and numéros fiscaux are encrypted at rest (Fernet). Comma-separated keys, newest first:
# the first encrypts, all decrypt, so a new key can be put in front and `rotate_encryption_keys` run.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS est obligatoire : voir .env.example.")

# Uploaded tax notices: private files, outside the static root, served only through a view that checks access.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
TAX_NOTICE_MAX_BYTES = 10 * 1024 * 1024
TAX_NOTICE_MAX_PER_DOSSIER = env.int("TAX_NOTICE_MAX_PER_DOSSIER", default=5)
# Uploads are refused early (portal.uploads): a request announcing more than UPLOAD_MAX_REQUEST_BYTES is answered
# before its body is read; a file streaming past FILE_UPLOAD_MAX_BYTES is skipped before it reaches the disk.
FILE_UPLOAD_MAX_BYTES = TAX_NOTICE_MAX_BYTES
UPLOAD_MAX_REQUEST_BYTES = FILE_UPLOAD_MAX_BYTES + 256 * 1024  # the file, the form's fields and the multipart
FILE_UPLOAD_HANDLERS = [
    "portal.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The antivirus (portal.antivirus, ClamAV's clamd): a Unix socket, or a host and port. Unset, uploads are not
# scanned; set, a notice stays quarantined until clamd has found it clean.
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="")
CLAMD_HOST = env.str("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT = env.float("CLAMD_TIMEOUT", default=30.0)  # seconds, to connect and for the verdict

# Resident parking: whether an application the State's data fully checked (address in a zone, the applicant a
# declarant, the vehicle theirs at the ANTS) gets its card at once, or always waits for an agent; how many
# documents one application may carry; how many days before its end a card's holder is reminded.
PARKING_AUTO_ISSUE = env.bool("PARKING_AUTO_ISSUE", default=False)
PARKING_DOCUMENTS_MAX = env.int("PARKING_DOCUMENTS_MAX", default=6)
PARKING_REMINDER_DAYS = env.int("PARKING_REMINDER_DAYS", default=30)

# One JSON object per line in production (LOG_FORMAT=json, the default with DEBUG off), for journald and any log
# collector; plain lines in development. Messages never hold personal data (see impot_client.client).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT vaut « json » ou « plain » : voir .env.example.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs each request's URL at INFO, and a lookup by numéro fiscal has it in the path.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Accounts (issue 15). Limits in the `limits` notation, ";" between windows, counted in sliding windows on the
# shared cache (portal.throttles): failed sign-ins, wrong admin codes, and the mails anyone can make the portal send.
# An empty value turns a window off. The client's address is REMOTE_ADDR, or behind a reverse proxy the last entry
# of CLIENT_ADDRESS_HEADER (e.g. HTTP_X_FORWARDED_FOR, which the proxy must overwrite or append to).
CLIENT_ADDRESS_HEADER = env.str("CLIENT_ADDRESS_HEADER", default="")
SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env.str(
    "SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default="5/15 minutes"
)
SIGNIN_FAILURES_PER_ACCOUNT = env.str("SIGNIN_FAILURES_PER_ACCOUNT", default="20/hour;50/day")
SIGNIN_FAILURES_PER_ADDRESS = env.str("SIGNIN_FAILURES_PER_ADDRESS", default="50/hour")
ADMIN_SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env.str(
    "ADMIN_SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default="5/15 minutes"
)
ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = env.str("ADMIN_SIGNIN_FAILURES_PER_ACCOUNT", default="20/hour;50/day")
ADMIN_SIGNIN_FAILURES_PER_ADDRESS = env.str("ADMIN_SIGNIN_FAILURES_PER_ADDRESS", default="30/hour")
ADMIN_CODE_FAILURES_PER_ACCOUNT_AND_ADDRESS = env.str(
    "ADMIN_CODE_FAILURES_PER_ACCOUNT_AND_ADDRESS", default="5/15 minutes"
)
PASSWORD_RESET_MAILS_PER_ACCOUNT = env.str("PASSWORD_RESET_MAILS_PER_ACCOUNT", default="3/hour;10/day")
PASSWORD_RESET_MAILS_PER_ADDRESS = env.str("PASSWORD_RESET_MAILS_PER_ADDRESS", default="20/hour")
SIGNUP_MAILS_PER_ACCOUNT = env.str("SIGNUP_MAILS_PER_ACCOUNT", default="3/hour;10/day")
SIGNUP_MAILS_PER_ADDRESS = env.str("SIGNUP_MAILS_PER_ADDRESS", default="20/hour")
# django-otp's own throttling is per device, so per account: portal.throttles.ADMIN_CODE replaces it.
OTP_TOTP_THROTTLE_FACTOR = 0
# Unconfirmed family accounts are erased after RETENTION_UNCONFIRMED_ACCOUNT_DAYS (retention, below).
# Sessions end after this many seconds without a request (families, agents), and in any case SESSION_COOKIE_AGE
# after the sign-in (portal.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_FAMILY = env.int("SESSION_IDLE_TIMEOUT_FAMILY", default=30 * 60)
SESSION_IDLE_TIMEOUT_AGENT = env.int("SESSION_IDLE_TIMEOUT_AGENT", default=15 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=SESSION_COOKIE_AGE)
MIDDLEWARE.append("portal.middleware.SessionTimeoutMiddleware")
# The INSEE « Code officiel géographique » (birth communes and countries): the files `manage.py cog_import` writes
# from INSEE's own (v_commune_AAAA.csv, v_pays_territoire_AAAA.csv); empty, or without them, the shipped ones.
COG_DATA_DIR = env.str("COG_DATA_DIR", default="")
# Retention (RGPD): how long each kind of personal data is kept, shown on the consent pages and on the public
# « Données personnelles » page, applied by `manage.py purge_expired` (daily). Safe defaults; each can be shortened.
# Income figures (and what derives from them) are erased this many months after the end of the period they served.
RETENTION_FIGURES_MONTHS = env.int("RETENTION_FIGURES_MONTHS", default=3)
# Drafts nobody touched for this many days are erased.
RETENTION_DRAFT_DAYS = env.int("RETENTION_DRAFT_DAYS", default=90)
# Accounts whose address was never confirmed are erased after this many days.
RETENTION_UNCONFIRMED_ACCOUNT_DAYS = env.int("RETENTION_UNCONFIRMED_ACCOUNT_DAYS", default=7)
# Accounts nobody signed in to for this many years are erased, after a warning mail this many days before.
RETENTION_INACTIVE_ACCOUNT_YEARS = env.int("RETENTION_INACTIVE_ACCOUNT_YEARS", default=3)
RETENTION_INACTIVE_WARNING_DAYS = env.int("RETENTION_INACTIVE_WARNING_DAYS", default=30)
# What the commune keeps of an erased account for billing (the dossiers billed, their tariff, the child's and the
# holder's names and the address), in years after the end of the period billed.
RETENTION_BILLING_YEARS = env.int("RETENTION_BILLING_YEARS", default=10)
# Sign-ins shown on « Mes données »: kept this many days.
RETENTION_SIGN_IN_DAYS = env.int("RETENTION_SIGN_IN_DAYS", default=365)
