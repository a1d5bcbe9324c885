"""A bare Django page, served by gunicorn like the portal, for `make bench`'s ratios: the same framework, one view,
no middleware, no database, no template. `gunicorn bench.bare:application`."""

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-page-not-a-secret",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)


def page(request):
    return HttpResponse("<!doctype html><title>Bare</title><p>Bonjour.</p>")


urlpatterns = [path("", page)]
application = get_wsgi_application()
