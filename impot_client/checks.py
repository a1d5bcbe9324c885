"""Deployment checks for what DGFiP access relies on: readable encryption keys and a cache all workers share."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from limits import parse_many

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security)
def encryption_keys_are_fernet_keys(app_configs, **kwargs):
    errors = []
    for index, key in enumerate(settings.FIELD_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                Error(
                    f"La clé n° {index} de FIELD_ENCRYPTION_KEYS n'est pas une clé Fernet.",
                    hint="32 octets aléatoires en base64 url-safe : voir .env.example.",
                    id="impot_client.E001",
                )
            )
    return errors


@register(Tags.caches, deploy=True)
def quota_and_token_need_a_shared_cache(app_configs, **kwargs):
    if settings.IMPOT_API_URL and settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
        return [
            Warning(
                "Le quota DGFiP et le jeton d'accès sont gardés dans un cache propre à chaque processus.",
                hint="Chaque worker compterait son propre quota et demanderait son propre jeton : "
                "CACHE_URL=redis://… (partagé par tous les workers).",
                id="impot_client.W001",
            )
        ]
    return []


LOOKUP_LIMIT_SETTINGS = (
    "IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_ACCOUNT",
    "IMPOT_NUMERO_FISCAL_NUMBERS_PER_ACCOUNT",
    "IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER",
    "IMPOT_NUMERO_FISCAL_NUMBERS_PER_DOSSIER",
)


@register()
def lookup_limits_are_readable(app_configs, **kwargs):
    """A mistyped limit would only fail when a family types its numéro fiscal: say so at start instead."""
    errors = []
    for name in LOOKUP_LIMIT_SETTINGS:
        try:
            parse_many(getattr(settings, name))
        except ValueError:
            errors.append(
                Error(
                    f"{name} n'est pas une limite lisible : {getattr(settings, name)!r}.",
                    hint="Par exemple 5/hour;10/day (nombre/unité, fenêtres séparées par « ; »).",
                    id="impot_client.E002",
                )
            )
    return errors
