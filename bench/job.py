"""One batch job of `make bench`, in a process of its own so that its peak memory is its own: prints one JSON line
{"job", "seconds", "peak_mb", "detail"}. `python bench/job.py recompute|council|csv|xlsx|purge`."""

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

import pricing  # noqa: E402
from cantine import exports, selectors  # noqa: E402
from cantine.models import Period  # noqa: E402
from cantine.services.quotes import quotes_recompute  # noqa: E402
from cantine.tariffs import council  # noqa: E402


class Discard:
    """A binary file that only counts what is written."""

    size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)

    def tell(self):
        return self.size

    def seek(self, *args):
        return self.size

    def flush(self):
        pass


def canteen_period():
    return Period.objects.filter(service__slug="restauration-scolaire").order_by("starts_on").first()


def recompute():
    period = canteen_period()
    return f"{quotes_recompute(period=period)} demandes re-tarifées ({period.label})"


def council_comparison():
    grid = selectors.active_grid(canteen_period())
    data = dict(grid.data)
    data["brackets"] = [
        {
            **bracket,
            "price": str((pricing.parse_grid(grid.data).brackets[n].price * 11 / 10).quantize(council.MONEY)),
        }
        for n, bracket in enumerate(grid.data["brackets"])
    ]
    comparison = council.compare(grid, pricing.parse_grid(data))
    return f"{comparison.dossiers} demandes comparées"


def export(file_format):
    period = canteen_period()
    rows = exports.export_rows(service=period.service, period=period)
    if file_format == "xlsx":
        import tempfile

        with tempfile.TemporaryFile() as out:
            exports.export_write(rows, "xlsx", out)
            size = out.tell()
    else:
        out = Discard()
        exports.export_write(rows, "csv", out)
        size = out.size
    count = exports.accepted_dossiers(service=period.service, period=period).count()
    return f"{count} lignes, {size / 1e6:.1f} Mo"


def purge():
    """Everything past retention, as if years had passed; rolled back so the data stays for the next run."""
    from cantine.income.services import tax_data_purge

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            counts = tax_data_purge(today=timezone.localdate() + timedelta(days=5 * 365))
            raise Rollback
    except Rollback:
        pass
    return f"{counts[0]} données fiscales, {counts[1]} avis, {counts[2]} demandes (annulé ensuite)"


JOBS = {
    "recompute": recompute,
    "council": council_comparison,
    "csv": lambda: export("csv"),
    "xlsx": lambda: export("xlsx"),
    "purge": purge,
}

if __name__ == "__main__":
    name = sys.argv[1]
    started = time.perf_counter()
    detail = JOBS[name]()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"job": name, "seconds": seconds, "peak_mb": peak, "detail": detail}))
