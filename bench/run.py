"""`make bench`: what the portal adds around DGFiP, measured, not asserted.

- a lookup by numéro fiscal through the real client (DGFiP answered by respx, in memory): the client's own cost
  per call, and how many token requests 1,000 lookups make (one: the token is shared);
- one hit of the DGFiP quota's sliding window (portal.ratelimit on the default cache's store: memory, or Redis
  when CACHE_URL is redis://), which every call pays before it leaves;
- encrypting and decrypting one fiscal amount (Fernet), as every read and write of TaxData does.
"""

import logging
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

import respx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402

from impot_client import client  # noqa: E402
from portal import ratelimit  # noqa: E402
from portal.fields import EncryptedIntegerField  # noqa: E402

API, TOKEN = "https://dgfip.bench/impotparticulier/1.0", "https://dgfip.bench/token"
ANSWER = {
    "rfr": 38500,
    "nbPart": 2.5,
    "sitFam": "M",
    "pac": {"nbPac": 1},
    "nmNaiDec1": "MARTIN",
    "prnmDec1": "CLAIRE",
}


def timed(function, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def report(name, samples, unit=1e3, label="ms"):
    print(
        f"{name:<48} median {statistics.median(samples) * unit:8.3f} {label}"
        f"   p95 {sorted(samples)[int(len(samples) * 0.95)] * unit:8.3f} {label}   ({len(samples)} runs)"
    )


def bench_lookups(runs=1000):
    settings.IMPOT_API_URL, settings.IMPOT_TOKEN_URL = API, TOKEN
    settings.IMPOT_QUOTA_PER_MINUTE = runs * 2  # a moving window keeps one entry per call: the bench fills it
    cache.clear()
    ratelimit.reset_memory()
    with respx.mock(assert_all_called=True) as mock:
        token = mock.post(TOKEN).respond(200, json={"access_token": "t", "expires_in": 3600})
        mock.get(url__startswith=f"{API}/spi/").respond(200, json=ANSWER)
        samples = timed(
            lambda: client.fetch_by_numero_fiscal("3999990000025", today=date(2026, 11, 24)), runs
        )
    report("lookup by numéro fiscal (client overhead)", samples)
    print(f"{'token requests for those lookups':<48} {token.call_count}")


def bench_quota(runs=10_000):
    ratelimit.reset_memory()
    rate = f"{runs}/minute"  # never full: each hit is counted, as a call under the quota is
    report(
        f"quota hit (sliding window, {ratelimit.storage_uri().partition(':')[0]})",
        timed(lambda: ratelimit.hit(rate, "bench", "quota"), runs),
        1e6,
        "µs",
    )
    ratelimit.reset_memory()


def bench_encryption(runs=10_000):
    field = EncryptedIntegerField()
    token = field.get_prep_value(38500)
    report("encrypt one amount (Fernet)", timed(lambda: field.get_prep_value(38500), runs), 1e6, "µs")
    report(
        "decrypt one amount (Fernet)", timed(lambda: field.from_db_value(token, None, None), runs), 1e6, "µs"
    )


if __name__ == "__main__":
    logging.getLogger("impot_client").setLevel(logging.WARNING)  # one line per call would drown the figures
    bench_lookups()
    bench_quota()
    bench_encryption()
