from django.core.management.base import BaseCommand

from cantine.models import JOB_RETENTION
from cantine.services.jobs import jobs_purge


class Command(BaseCommand):
    help = f"Efface les traitements lancés depuis l'admin, et leurs fichiers, {JOB_RETENTION.days} jours après. Quotidien."

    def handle(self, *args, **options):
        self.stdout.write(f"{jobs_purge()} traitement(s) effacé(s).")
