"""The current 6-digit code of a demo agent's TOTP device, so a developer signs in to /admin/ without a phone.

Refuses to run with DEBUG off, like seed_demo: it is a second factor read from the database."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def current_code(device: TOTPDevice) -> str:
    """What an authenticator app holding the device's key shows right now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = "Affiche le code à 6 chiffres actuel d'un agent de démonstration (développement seulement)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="Par exemple agent.demo@example.org (voir seed_demo).")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp donne un second facteur : réservé au développement (DEBUG=true).")
        device = TOTPDevice.objects.filter(user__email=email.lower(), confirmed=True).first()
        if device is None:
            raise CommandError(f"Aucun appareil TOTP pour {email} : lancez d'abord seed_demo.")
        self.stdout.write(current_code(device))
