"""`python manage.py expire_offers`, daily: crèche places offered and left unanswered after their deadline lapse.

Reads already treat such an offer as lapsed; this records it, so agents' lists show it."""

from django.core.management.base import BaseCommand

from cantine import services


class Command(BaseCommand):
    help = "Marque comme expirées les places en crèche proposées sans réponse après leur date limite."

    def handle(self, *args, **options):
        count = services.place_offers_expire()
        self.stdout.write(f"{count} proposition(s) expirée(s).")
