"""Start-up checks of the core: the commune's theme colours must be readable (RGAA 3.2, WCAG 2.1 AA 1.4.3)."""

import os

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import Error, Tags, Warning, register

from portal.theme import colour_problems


@register(Tags.compatibility)
def theme_colours(app_configs, **kwargs):
    errors = []
    for number, name in enumerate(("COMMUNE_PRIMARY_COLOR", "COMMUNE_SECONDARY_COLOR"), start=1):
        errors.extend(
            Error(problem, hint="Un outil de contraste donne le ratio ; visez au moins 4,5:1.", id=f"portal.E01{number - 1}")
            for problem in colour_problems(name, getattr(settings, name, None))
        )
    return errors


@register(Tags.staticfiles)
def commune_logo(app_configs, **kwargs):
    logo = getattr(settings, "COMMUNE_LOGO", "")
    if logo and not finders.find(logo) and not os.path.exists(os.path.join(str(settings.STATIC_ROOT), logo)):
        return [
            Warning(
                f"COMMUNE_LOGO ({logo}) n'est dans aucun dossier de fichiers statiques : l'en-tête n'aura pas de logo.",
                hint="Indiquez un chemin relatif aux fichiers statiques, comme « portal/logo.svg ».",
                id="portal.W010",
            )
        ]
    return []
