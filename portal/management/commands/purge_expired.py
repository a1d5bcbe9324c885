"""`manage.py purge_expired`: every retention rule at once (run it daily: cron or a systemd timer)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from portal.services import purge_expired

LABELS = {
    "income_figures": "revenus (chiffres fiscaux)",
    "tax_notices": "avis d'imposition (période échue)",
    "dossiers_derived_figures": "demandes dont les chiffres dérivés (QF, explications) ont été effacés",
    "tax_notice_files_settled": "fichiers d'avis d'imposition qui ont servi",
    "drafts": "brouillons inactifs",
    "unconfirmed_accounts": "comptes jamais confirmés",
    "inactive_accounts_warned": "comptes inactifs prévenus par courriel",
    "inactive_accounts": "comptes inactifs effacés",
    "sign_ins": "connexions anciennes",
    "form_submissions": "jetons de formulaires déjà envoyés",
}


class Command(BaseCommand):
    help = (
        "Erase whatever has passed its retention (RETENTION_* settings): income figures and notices, drafts, "
        "unconfirmed and inactive accounts (warned first), old sign-ins. Prints the counts by kind; a second run "
        "erases nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to purge as of (YYYY-MM-DD), for tests and catching up")

    def handle(self, *args, **options):
        from datetime import date

        today = date.fromisoformat(options["date"]) if options["date"] else None
        counts = purge_expired(today=today)
        for kind, count in counts.items():
            self.stdout.write(f"{kind}\t{count}\t{LABELS.get(kind, kind)}")
        self.stdout.write(_("Total : %(total)d élément(s) effacé(s) ou traité(s).") % {"total": sum(counts.values())})
