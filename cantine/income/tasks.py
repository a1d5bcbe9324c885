"""The income step's work outside the request, by the task worker: scanning again a notice whose antivirus scan
gave no verdict (cantine.income.services.tax_notice_scan schedules it)."""

from django_tasks import task

from cantine.income import services
from impot_client.models import TaxNotice


@task()
def tax_notice_scan_retry(notice_id: int, attempt: int) -> str:
    notice = TaxNotice.objects.filter(pk=notice_id).first()
    if notice is None or not notice.quarantined:
        return "done"
    scanned = services.tax_notice_scan(notice=notice, attempt=attempt)
    return "infected" if scanned is None else scanned.scan_status
