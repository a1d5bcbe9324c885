from django.conf import settings


def commune(request):
    return {"commune_name": settings.COMMUNE_NAME}


def franceconnect_session(request):
    """Whether this session came from FranceConnect: signing out must then go through FranceConnect too."""
    session = getattr(request, "session", None)
    return {"signed_in_with_franceconnect": bool(session and session.get("franceconnect_id_token"))}
