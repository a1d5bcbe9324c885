"""Start-up checks for API Particulier: every call names the commune's SIRET as `recipient`, and API Particulier
refuses any other; a mistyped one would only show when a family asks for its quotient familial."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def is_siret(value: str) -> bool:
    """14 digits whose Luhn sum is a multiple of 10 (La Poste's establishments, SIREN 356000000, use the sum of
    the digits modulo 5 instead)."""
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        return False
    if value.startswith("356000000"):
        return sum(map(int, value)) % 5 == 0
    total = 0
    for position, digit in enumerate(map(int, reversed(value))):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


@register()
def recipient_is_a_siret(app_configs, **kwargs):
    if not settings.API_PARTICULIER_URL:
        return []
    errors = []
    if not is_siret(settings.API_PARTICULIER_RECIPIENT):
        errors.append(
            Error(
                f"API_PARTICULIER_RECIPIENT n'est pas un SIRET valide : {settings.API_PARTICULIER_RECIPIENT!r}.",
                hint="Le SIRET de la commune, 14 chiffres sans espace, tel que déclaré dans l'habilitation DataPass.",
                id="api_particulier.E001",
            )
        )
    if not settings.API_PARTICULIER_TOKEN:
        errors.append(
            Error(
                "API_PARTICULIER_TOKEN est vide alors qu'API_PARTICULIER_URL est configurée.",
                hint="Le jeton de la commune, sur https://particulier.api.gouv.fr/compte.",
                id="api_particulier.E002",
            )
        )
    return errors


@register(Tags.caches, deploy=True)
def limits_need_a_shared_cache(app_configs, **kwargs):
    if settings.API_PARTICULIER_URL and settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
        return [
            Warning(
                "Les limites d'appels à API Particulier sont comptées dans un cache propre à chaque processus.",
                hint="Chaque worker compterait ses propres appels : CACHE_URL=redis://… (partagé par tous les workers).",
                id="api_particulier.W001",
            )
        ]
    return []
