"""manage.py parking_reminders: the daily mail « votre carte résident prend fin le … » with its « Renouveler » link,
PARKING_REMINDER_DAYS before a card's end (a systemd timer, docs/deploiement.md). Run it twice: nobody is reminded
twice."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stationnement.services import card_reminders_send


class Command(BaseCommand):
    help = "Envoie le rappel de renouvellement des cartes résident qui prennent fin bientôt (PARKING_REMINDER_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", dest="day", default="", help="Le jour à considérer comme aujourd'hui (AAAA-MM-JJ)."
        )

    def handle(self, *args, day: str, **options):
        try:
            today = date.fromisoformat(day) if day else None
        except ValueError as error:
            raise CommandError(f"Date invalide « {day} » : attendu AAAA-MM-JJ.") from error
        count = card_reminders_send(today=today)
        self.stdout.write(
            f"{count} rappel(s) mis en file d'envoi (cartes prenant fin dans {settings.PARKING_REMINDER_DAYS} jours au plus)."
        )
