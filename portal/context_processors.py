from django.conf import settings


def commune(request):
    return {"commune_name": settings.COMMUNE_NAME}
