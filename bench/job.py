"""One batch job of `make bench`, in a process of its own so that its peak memory is its own: prints one JSON line
{"job", "seconds", "cpu_seconds", "peak_mb", "detail"} (cpu_seconds: this process's, not PostgreSQL's).
`python bench/job.py recompute|requote|council|csv|xlsx|purge`.

Each job runs over the whole scale dataset (every period, or both school years of the canteen) and whatever it
writes is rolled back, so that the next run finds the same data."""

import json
import os
import resource
import sys
import time
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

import tempfile  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

import pricing  # noqa: E402
from cantine import exports, selectors  # noqa: E402
from cantine.models import DossierMessage, Period, TariffGrid  # noqa: E402
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


class Rollback(Exception):
    pass


def rolled_back(work):
    """work()'s answer, everything it wrote undone."""
    answer = []
    try:
        with transaction.atomic():
            answer.append(work())
            raise Rollback
    except Rollback:
        pass
    return answer[0]


def canteen_periods():
    return list(Period.objects.filter(service__slug="restauration-scolaire").order_by("starts_on"))


def dearer(data: dict) -> dict:
    """The grid's data with every price 10 % higher: the draft a council would weigh, the change agents make."""
    grid = pricing.parse_grid(data)
    if isinstance(grid, pricing.BracketsGrid):
        return {
            **data,
            "brackets": [
                {**bracket, "price": str((grid.brackets[n].price * 11 / 10).quantize(council.MONEY))}
                for n, bracket in enumerate(data["brackets"])
            ],
        }
    return data


def recompute():
    """Every billed dossier of every period re-quoted with the grid in force (what `recompute_quotes` does)."""
    done = rolled_back(quotes_recompute)
    return f"{done} demandes re-tarifées (toutes les périodes)", done


def requote():
    """A grid change: a new version of each canteen grid, 10 % dearer, put in force, then every billed dossier of
    every period re-quoted; the families whose tariff changes are told (messages written, mails queued)."""

    def work():
        for period in canteen_periods():
            grid = selectors.active_grid(period)
            TariffGrid.objects.filter(pk=grid.pk).update(is_active=False)
            TariffGrid.objects.create(
                period=period,
                version=grid.version + 100,
                label="bench",
                data=dearer(grid.data),
                is_active=True,
            )
        messages = DossierMessage.objects.count()
        done = quotes_recompute()
        return done, DossierMessage.objects.count() - messages

    done, told = rolled_back(work)
    return f"{done} demandes re-tarifées après une hausse de 10 %, {told} familles prévenues", done


def council_comparison():
    """The canteen's two school years, each grid in force against a 10 % dearer draft: as an agent starts it from
    the admin (a job run by the worker) where the comparison is a job, else as the page computed it."""
    from cantine.models import Job

    compared = 0
    for period in canteen_periods():
        grid = selectors.active_grid(period)
        draft = dearer(grid.data)
        if hasattr(Job.Kind, "COMPARISON"):
            from cantine.services.jobs import job_execute
            from portal.models import User

            def work(grid=grid, draft=draft):
                agent = User.objects.filter(is_superuser=True).first()
                job = Job.objects.create(
                    kind=Job.Kind.COMPARISON, created_by=agent, params={"grid": grid.pk, "draft": draft}
                )
                job = job_execute(job=job)
                job.file.delete(save=False)
                return job.result["dossiers"]  # none when it failed: the bench says so

            compared += rolled_back(work)
        else:
            compared += council.compare(grid, pricing.parse_grid(draft)).dossiers
    return f"{compared} demandes comparées (2 années scolaires)", compared


def export(file_format):
    """The billing export of the canteen's two school years, one file."""
    periods = canteen_periods()
    rows = chain.from_iterable(exports.export_rows(service=p.service, period=p) for p in periods)
    if file_format == "xlsx":
        with tempfile.TemporaryFile() as out:
            exports.export_write(rows, "xlsx", out)
            size = out.tell()
    else:
        out = Discard()
        exports.export_write(rows, "csv", out)
        size = out.size
    count = sum(exports.accepted_dossiers(service=p.service, period=p).count() for p in periods)
    return f"{count} lignes, {size / 1e6:.1f} Mo", count


def purge():
    """Everything past retention, as if years had passed; rolled back so the data stays for the next run."""
    from cantine.income.services import tax_data_purge

    counts = rolled_back(lambda: tax_data_purge(today=timezone.localdate() + timedelta(days=5 * 365)))
    return f"{counts[0]} données fiscales, {counts[1]} avis, {counts[2]} demandes (annulé ensuite)", None


# The targets are set at these sizes: the dataset's own are smaller (51 613 billed dossiers, 41 470 compared,
# 29 032 rows), so the time at the target's size is extrapolated from the rate measured.
TARGET_SIZES = {"recompute": 100_000, "requote": 100_000, "council": 30_000, "csv": 30_000, "xlsx": 30_000}

JOBS = {
    "recompute": recompute,
    "requote": requote,
    "council": council_comparison,
    "csv": lambda: export("csv"),
    "xlsx": lambda: export("xlsx"),
    "purge": purge,
}

if __name__ == "__main__":
    name = sys.argv[1]
    started = time.perf_counter()
    detail, count = JOBS[name]()
    seconds = time.perf_counter() - started
    if count and name in TARGET_SIZES:
        rate = count / seconds
        detail += f" ; {rate:.0f}/s, soit {TARGET_SIZES[name] / rate:.1f} s pour {TARGET_SIZES[name]:_}".replace("_", " ")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "job": name,
                "seconds": seconds,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_mb": usage.ru_maxrss / 1024,
                "detail": detail,
            }
        )
    )
