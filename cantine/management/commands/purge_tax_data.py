from django.core.management.base import BaseCommand

from cantine.income.services import RETENTION_AFTER_PERIOD, tax_data_purge


class Command(BaseCommand):
    help = (
        f"Erase fiscal figures and tax notices {RETENTION_AFTER_PERIOD.days} days after their period ends. "
        "Run it daily (cron or systemd timer)."
    )

    def handle(self, *args, **options):
        data, notices, dossiers = tax_data_purge()
        self.stdout.write(
            f"{data} donnée(s) fiscale(s) et {notices} avis d'imposition effacés ; chiffres qui en découlaient "
            f"(quotient familial, ressources, explications) effacés dans {dossiers} demande(s)."
        )
