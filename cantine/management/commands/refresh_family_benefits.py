from django.core.management.base import BaseCommand

from cantine.income.benefits import benefit_refresh_scheduled


class Command(BaseCommand):
    help = (
        "Carry out the CAF/MSA refreshes the commune scheduled (admin: « Actualisations CAF/MSA programmées ») once "
        "their date has come. Run it daily (cron or systemd timer)."
    )

    def handle(self, *args, **options):
        for schedule in benefit_refresh_scheduled():
            self.stdout.write(
                f"{schedule} : {schedule.refreshed} demande(s) actualisée(s), {schedule.failed} échec(s)."
            )
