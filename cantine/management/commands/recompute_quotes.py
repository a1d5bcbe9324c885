from django.core.management.base import BaseCommand, CommandError

from cantine.models import Period
from cantine.services.quotes import quotes_recompute


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
        done = quotes_recompute(period=period)  # set-based; drafts and closed dossiers are left alone
        self.stdout.write(f"{done} tarif(s) recalculé(s) pour {period}.")
