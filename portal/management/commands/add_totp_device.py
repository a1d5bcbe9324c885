"""Give a staff account its TOTP device: how the first superuser gets into the admin, where « TOTP devices »
then does the same for the others (with a QR code)."""

import io
from base64 import b32encode

import qrcode
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import User


class Command(BaseCommand):
    help = (
        "Crée l'appareil TOTP (application d'authentification) d'un compte agent et affiche la clé et le QR code "
        "à scanner."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Téléphone", help="Nom de l'appareil (par défaut : Téléphone).")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email=email.lower(), is_staff=True).first()
        if user is None:
            raise CommandError(f"Aucun compte agent (« agent de la commune ») pour {email}.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(f"Appareil « {name} » créé pour {user.email}.")
        self.stdout.write(f"Clé à saisir dans l'application : {b32encode(device.bin_key).decode()}")
        self.stdout.write(f"Ou scannez ce QR code ({device.config_url}) :")
        code, drawing = qrcode.QRCode(border=1), io.StringIO()
        code.add_data(device.config_url)
        code.print_ascii(out=drawing, invert=True)
        self.stdout.write(drawing.getvalue())
