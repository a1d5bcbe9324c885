"""`python manage.py tax_notice_scan`: scan again, now, every tax notice still quarantined (clamd was down).

Prints how many were found clean, infected (erased) and still without a verdict."""

from django.core.management.base import BaseCommand, CommandError

from cantine.income import services
from impot_client.models import TaxNotice
from portal import antivirus


class Command(BaseCommand):
    help = "Analyse à nouveau avec l'antivirus les avis d'imposition encore en quarantaine."

    def handle(self, *args, **options):
        if not antivirus.configured():
            raise CommandError("Aucun antivirus configuré (CLAMD_SOCKET ou CLAMD_HOST).")
        counts = {"clean": 0, "infected": 0, "pending": 0}
        pending = TaxNotice.objects.filter(scan_status=TaxNotice.ScanStatus.PENDING)
        for notice in pending:
            # the last attempt: a failure raises the alert again rather than queueing more retries
            scanned = services.tax_notice_scan(notice=notice, attempt=len(services.SCAN_RETRY_DELAYS) + 1)
            counts["infected" if scanned is None else scanned.scan_status] += 1
        self.stdout.write(
            f"{counts['clean']} sain(s), {counts['infected']} infecté(s) et effacé(s), "
            f"{counts['pending']} toujours sans verdict."
        )
