from franceconnect.views import ID_TOKEN_KEY


def franceconnect_session(request):
    """Whether this session came from FranceConnect: signing out must then go through FranceConnect too."""
    session = getattr(request, "session", None)
    return {"signed_in_with_franceconnect": bool(session and session.get(ID_TOKEN_KEY))}
