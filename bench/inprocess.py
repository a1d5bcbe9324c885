"""Where a page's time goes in a worker like gunicorn's: the WSGI application called in a loop, DEBUG off, the
settings `make bench` serves (portal.settings.dev without DEBUG), under cProfile. Figures only, no assertion.

    DATABASE_URL=postgres://…/portail_bench python bench/inprocess.py [page name substring] [requests]

Prints, for each page of bench/pages.py whose name holds the substring, the mean time per request, the queries per
request and cProfile's top functions by cumulative and by own time; with PROFILE_QUERIES=1, each query's time too (=full: and its whole text)."""

import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
os.environ.update(DEBUG="false", BEHIND_TLS_PROXY="true")
os.environ.setdefault("STATIC_ROOT", str(Path(tempfile.gettempdir()) / "bench-profile-static"))


def call(application, path, cookie):
    path, _q, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    status = []
    body = b"".join(application(environ, lambda s, h, *a: status.append(s)))
    return status[0], body


def main():
    import django
    from django.core.management import call_command

    django.setup()
    if not Path(os.environ["STATIC_ROOT"]).exists():
        call_command("collectstatic", "--noinput", "-v0")
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from bench import pages

    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    application = get_wsgi_application()
    for target in pages.targets():
        if wanted not in target.name:
            continue
        for _warm in range(5):
            status, _body = call(application, target.path, target.cookie)
        counted = []

        def count(execute, sql, *args, counted=counted):
            started = time.perf_counter()
            try:
                return execute(sql, *args)
            finally:
                counted.append((time.perf_counter() - started, sql))

        with connection.execute_wrapper(count):
            call(application, target.path, target.cookie)
        started = time.perf_counter()
        for _run in range(runs):
            call(application, target.path, target.cookie)
        plain = (time.perf_counter() - started) / runs
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _run in range(runs):
            call(application, target.path, target.cookie)
        profiler.disable()
        elapsed = (time.perf_counter() - started) / runs
        print(
            f"\n=== {target.name}: {status}, {plain * 1e3:.2f} ms/request ({elapsed * 1e3:.2f} under cProfile), "
            f"{len(counted)} queries"
        )
        shown = os.environ.get("PROFILE_QUERIES")
        if shown in ("1", "full"):  # each query's time and its start (its whole text: "full"), slowest first
            for seconds, sql in sorted(counted, reverse=True):
                print(f"  {seconds * 1e3:7.1f} ms  {sql if shown == 'full' else sql[:150]}")
        for order in ("cumulative", "tottime") if os.environ.get("PROFILE_STATS", "1") == "1" else ():
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(28)
            print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
