from django.core.management.base import BaseCommand, CommandError

from cantine.models import Dossier, Period
from cantine.services import dossier_quote_compute


class Command(BaseCommand):
    help = (
        "Recalcule le tarif des demandes envoyées d'une période avec la grille en vigueur et les revenus actuels. "
        "Rien n'est recalculé sans cette commande ou l'action des agents."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="identifiant de la période")

    def handle(self, *args, period, **options):
        try:
            period = Period.objects.get(pk=period)
        except Period.DoesNotExist as error:
            raise CommandError(f"Aucune période n° {period}.") from error
        dossiers = Dossier.objects.filter(
            period=period
        )  # the quote service leaves drafts and closed ones alone
        done = sum(dossier_quote_compute(dossier=dossier) is not None for dossier in dossiers)
        self.stdout.write(f"{done} tarif(s) recalculé(s) pour {period}.")
