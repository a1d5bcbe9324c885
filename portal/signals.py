"""What the core tells the démarches and State-API apps, which it does not import."""

from django.dispatch import Signal

# An adult of the household came, went or changed name, first names or birth date (kwargs: household).
household_identity_changed = Signal()
