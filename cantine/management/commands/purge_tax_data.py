from django.core.management.base import BaseCommand

from cantine.income.services import tax_data_purge


class Command(BaseCommand):
    help = (
        "Erase fiscal figures and tax notices RETENTION_FIGURES_MONTHS after their period ends. Kept for older "
        "schedules: `purge_expired` does this and every other retention purge."
    )

    def handle(self, *args, **options):
        data, notices, dossiers = tax_data_purge()
        self.stdout.write(
            f"{data} donnée(s) fiscale(s) et {notices} avis d'imposition effacés ; chiffres qui en découlaient "
            f"(quotient familial, ressources, explications) effacés dans {dossiers} demande(s)."
        )
