"""WSGI entry point for production servers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
application = get_wsgi_application()


def warm_up():
    """What a worker's first request would otherwise pay (about a second: the URLconf imports every view, the PDF
    library with them; the French catalogues; the layout's templates), done before the worker takes requests
    (gunicorn.conf.py's post_worker_init). Touches neither the database nor the cache."""
    from django.conf import settings
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().reverse_dict  # noqa: B018 (imports and indexes every URL pattern)
    with translation.override(settings.LANGUAGE_CODE):
        translation.gettext("Portail Famille")
    get_template("base.html")
