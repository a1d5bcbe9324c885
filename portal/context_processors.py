from django.conf import settings

from portal.theme import current_theme


def commune(request):
    return {
        "commune_name": settings.COMMUNE_NAME,
        "commune_logo": settings.COMMUNE_LOGO,
        "theme_version": current_theme().version,
    }
