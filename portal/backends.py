from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Sign in with the email address, whatever its case.

    Every attempt costs one password hash, whether the address is unknown, unconfirmed or active (ModelBackend
    hashes for unknown addresses too). With `allow_inactive=True` (the family sign-in form only) an inactive
    account whose password is right is returned, for the form to say its address awaits confirmation rather than
    hash the password a second time; sessions (get_user) still never accept an inactive account."""

    def authenticate(self, request, username=None, password=None, allow_inactive=False, **kwargs):
        if username:
            username = username.strip().lower()
        self._allow_inactive = allow_inactive
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        finally:
            self._allow_inactive = False

    def user_can_authenticate(self, user):
        return getattr(self, "_allow_inactive", False) or super().user_can_authenticate(user)
