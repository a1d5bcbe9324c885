"""Bare Django pages, served by gunicorn like the portal, for `make bench`'s ratios: the same framework, one view
returning a constant page, no database, no template. Two of them, chosen by BARE_PAGE:

- `none` (the default): no middleware and no app, Django's floor;
- `startproject`: the settings `django-admin startproject` writes (its six apps and seven middleware, none of which
  touches the database for an anonymous GET), the reference of issue 17's own measurements.

`BARE_PAGE=startproject gunicorn bench.bare:application`."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

STARTPROJECT = {
    "INSTALLED_APPS": [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
    ],
    "MIDDLEWARE": [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ],
    "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
}
BARE = {"INSTALLED_APPS": [], "MIDDLEWARE": []}

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-page-not-a-secret",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    **(STARTPROJECT if os.environ.get("BARE_PAGE") == "startproject" else BARE),
)


def page(request):
    return HttpResponse("<!doctype html><title>Bare</title><p>Bonjour.</p>")


urlpatterns = [path("", page)]
application = get_wsgi_application()
