"""The sign-up confirmation token (the password-reset one is Django's default_token_generator)."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class AccountConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Single-use: the token stops matching once the account is active, or its password changes."""

    key_salt = "portal.services.AccountConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.is_active}{user.email}{user.password}{timestamp}"


account_confirmation_token = AccountConfirmationTokenGenerator()
