"""`make bench`, at a commune's scale, on PostgreSQL: figures, never assertions.

1. Seeds the dataset (`manage.py seed_scale`, idempotent; BENCH_SCALE=0.1 for a tenth).
2. Serves the portal as production does (gunicorn.conf.py: 2 × CPUs + 1 workers, or BENCH_WORKERS; persistent
   database connections, CONN_MAX_AGE; DEBUG off) and two bare Django pages the same way (bench/bare.py: one with
   no middleware, one with `startproject`'s settings), then loads each page of issue 17's table with wrk (`make wrk`),
   or, without it, a Python load generator (threads, one keep-alive connection each): req/s, p50, p95, p99, the
   ratio to each bare page in the same run, and the queries the page runs (counted in a process of its own, with
   the same session). BENCH_PORTAL_DIR serves another checkout of the portal on the same database (its code before
   a change, say: `git worktree add ../before main`); BENCH_PAGES keeps the pages whose name holds it.
3. Runs each batch job in a process of its own (bench/job.py): time and peak memory.
4. Makes 1 000 DGFiP look-ups against the simulator served by gunicorn (DEBUG on, as the simulator requires),
   sequentially and from 8 threads: time per look-up and the token requests the simulator saw.

DATABASE_URL must name a PostgreSQL database (the bench's, not a test one). BENCH_DURATION (seconds per page, 10)
and BENCH_CONNECTIONS (20) tune the load; the agents' pages are loaded a second time at BENCH_AGENT_CONNECTIONS (4:
a service's agents at work at once, where 20 connections measure queueing more than the page). BENCH_PORT (8461) is
the first of the four ports it listens on."""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARM_UP = 2  # seconds of load on each page before it is measured
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "20"))
AGENT_CONNECTIONS = int(os.environ.get("BENCH_AGENT_CONNECTIONS", "4"))
WORKERS = os.environ.get("BENCH_WORKERS", "")  # empty: gunicorn.conf.py's, from the CPUs
SCALE = os.environ.get("BENCH_SCALE", "1")
PORTAL, BARE, BARE_STARTPROJECT, SIMULATOR = (int(os.environ.get("BENCH_PORT", "8461")) + n for n in range(4))
PORTAL_DIR = Path(os.environ.get("BENCH_PORTAL_DIR", ROOT)).resolve()
ONLY = os.environ.get("BENCH_PAGES", "")
PYTHON = sys.executable
# gunicorn stands behind a TLS proxy, as in production (BEHIND_TLS_PROXY): the load says the request came in https.
PROTO = "https"
PARTS = set(os.environ.get("BENCH_PARTS", "pages,jobs,dgfip").split(","))


def status_of(url, cookie) -> int:
    """One GET as the load sends it: a page answering anything but 200 is flagged (wrk counts 3xx as success)."""
    host, port, path = re.match(r"http://([^:/]+):(\d+)(.*)", url).groups()
    # Long enough for a busy machine's workers to boot (wait_for only sees the master listen).
    connection = HTTPConnection(host, int(port), timeout=180)
    connection.request(
        "GET", path, headers={"X-Forwarded-Proto": PROTO, **({"Cookie": cookie} if cookie else {})}
    )
    response = connection.getresponse()
    response.read()
    return response.status


def manage(*args, env=None):
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, env=env)


def create_database(url):
    """The bench's database, created on first use."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            server.execute(f'CREATE DATABASE "{name}"')


def wait_for(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def gunicorn(app, port, env, *extra, cwd=ROOT, production=False, stdout=None):
    """`production`: gunicorn.conf.py's workers, timeouts and JSON access log (to nowhere, or to `stdout`), as
    deployed."""
    command = [PYTHON, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    if production:
        command += ["--config", str(Path(cwd) / "gunicorn.conf.py")]
    if WORKERS or not production:
        command += ["--workers", WORKERS or "2"]
    if not production:
        command += ["--log-level", "warning"]
    process = subprocess.Popen(
        [*command, *extra],
        cwd=cwd,
        env=env,
        stdout=stdout or (subprocess.DEVNULL if production else None),
    )
    wait_for(port)
    return process


# The load: wrk if installed, else threads.


def load_wrk(url, cookie, duration=DURATION, connections=CONNECTIONS):
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",  # wrk's 2 s default leaves a slow page's requests out of its percentiles
        "--script",
        str(ROOT / "bench" / "latency.lua"),
        "-H",
        f"X-Forwarded-Proto: {PROTO}",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    p50, p95, p99 = (
        int(us) / 1e3 for us in re.search(r"^bench-latency (\d+) (\d+) (\d+)$", out, re.M).groups()
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def load_threads(url, cookie, duration=DURATION, connections=CONNECTIONS):
    """`connections` threads, each on its own keep-alive connection, for `duration` seconds."""
    host, port, path = re.match(r"http://([^:/]+):(\d+)(.*)", url).groups()
    samples, errors, stop = [], [0], time.monotonic() + duration
    lock = threading.Lock()

    def worker():
        connection = HTTPConnection(host, int(port), timeout=30)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            connection.request(
                "GET", path, headers={"X-Forwarded-Proto": PROTO, **({"Cookie": cookie} if cookie else {})}
            )
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status >= 400:
                with lock:
                    errors[0] += 1
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.sort()
    return {
        "rps": len(samples) / (time.monotonic() - began),
        "p50": samples[len(samples) // 2] * 1e3,
        "p95": samples[int(len(samples) * 0.95)] * 1e3,
        "p99": samples[int(len(samples) * 0.99)] * 1e3,
        "errors": errors[0],
    }


LOAD, LOADER = (load_wrk, "wrk") if shutil.which("wrk") else (load_threads, "Python (threads, http.client)")


def main():
    env = {**os.environ, "DEBUG": "true"}
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("make bench à l'échelle : DATABASE_URL doit désigner une base PostgreSQL (rien n'est mesuré).")
        return
    create_database(url)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("seed_scale", "--scale", SCALE, env=env)
    if "pages" in PARTS:
        page_figures(env)

    if "jobs" in PARTS:
        batch_jobs(env)
    if "dgfip" in PARTS:
        dgfip_lookups(env)


def page_figures(env):
    static = tempfile.mkdtemp(prefix="bench-static-")
    # The checkout served, on its own Python path (BENCH_PORTAL_DIR); production's connection reuse unless
    # CONN_MAX_AGE says otherwise.
    served = {
        **env,
        "DEBUG": "false",
        "BEHIND_TLS_PROXY": "true",
        "STATIC_ROOT": static,
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "PYTHONPATH": str(PORTAL_DIR),
    }
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], check=True, cwd=PORTAL_DIR, env=served
    )
    # The queries and in-process time of each page, in a process running the served checkout's code.
    measured = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "pages.py"), ONLY],
        check=True,
        cwd=PORTAL_DIR,
        env=served,
        capture_output=True,
        text=True,
    )
    print(measured.stderr, end="")
    targets = json.loads(measured.stdout.strip().splitlines()[-1])
    bare_env = {key: value for key, value in served.items() if key != "PYTHONPATH"}
    processes = [
        gunicorn("portal.wsgi:application", PORTAL, served, cwd=PORTAL_DIR, production=True),
        gunicorn("bench.bare:application", BARE, bare_env, production=True),
        gunicorn(
            "bench.bare:application",
            BARE_STARTPROJECT,
            {**bare_env, "BARE_PAGE": "startproject"},
            production=True,
        ),
    ]
    try:
        workers = WORKERS or "gunicorn.conf.py"
        print(
            f"\nPages de {PORTAL_DIR} ({LOADER}, {CONNECTIONS} connexions, {DURATION} s chacune, "
            f"workers : {workers}, DEBUG=false)"
        )
        for port in (BARE, BARE_STARTPROJECT):
            LOAD(f"http://127.0.0.1:{port}/", "", WARM_UP)
        bare = {port: [LOAD(f"http://127.0.0.1:{port}/", "")] for port in (BARE, BARE_STARTPROJECT)}
        rows = []
        for target in targets:
            url = f"http://127.0.0.1:{PORTAL}{target['path']}"
            status = status_of(url, target["cookie"])
            LOAD(
                url, target["cookie"], WARM_UP
            )  # every worker has served the page once: its own caches are filled
            figures = LOAD(url, target["cookie"])
            figures["status"] = status
            rows.append((target, figures))
        agents = [
            (
                target,
                LOAD(
                    f"http://127.0.0.1:{PORTAL}{target['path']}",
                    target["cookie"],
                    connections=AGENT_CONNECTIONS,
                ),
            )
            for target in targets
            if target["path"].startswith("/admin/")
        ]
        for port, runs in bare.items():
            runs.append(LOAD(f"http://127.0.0.1:{port}/", ""))
        floor, startproject = (
            statistics.mean(run["rps"] for run in bare[port]) for port in (BARE, BARE_STARTPROJECT)
        )
        print(
            f"bare pages: {floor:.0f} req/s without middleware (ratio), "
            f"{startproject:.0f} req/s with startproject's settings (ratio sp)"
        )
        print(
            f"{'page':<44} {'req/s':>8} {'ratio':>6} {'ratio sp':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'queries':>7} {'in-proc ms':>10} {'errors':>6} {'HTTP':>4}"
        )
        for target, figures in rows:
            print(
                f"{target['name']:<44} {figures['rps']:8.1f} {figures['rps'] / floor:6.2f} "
                f"{figures['rps'] / startproject:8.2f} {figures['p50']:8.1f} {figures['p95']:8.1f} "
                f"{figures['p99']:8.1f} {target['queries']:7d} {target['in_process_ms']:10.1f} "
                f"{figures['errors']:6d} {figures['status']:4d}"
            )
        if agents:
            print(f"\nPages des agents à {AGENT_CONNECTIONS} connexions")
            print(f"{'page':<44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
            for target, figures in agents:
                print(
                    f"{target['name']:<44} {figures['rps']:8.1f} {figures['p50']:8.1f} {figures['p95']:8.1f} "
                    f"{figures['p99']:8.1f} {figures['errors']:6d}"
                )
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        shutil.rmtree(static, ignore_errors=True)


def batch_jobs(env):
    print(
        "\nTraitements par lots (un processus chacun, sur tout le jeu, annulés ensuite ; CPU : ce processus seul)"
    )
    print(f"{'traitement':<14} {'durée s':>8} {'CPU s':>8} {'pic Mo':>8}  détail")
    # DEBUG off, as the task worker runs them in production: on, every query's SQL is kept with its parameters
    # (a bulk insert's thousands of them), 64 MB more at the re-quote's peak.
    env = {**env, "DEBUG": "false"}
    for job in ("recompute", "requote", "council", "csv", "xlsx", "purge"):
        out = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "job.py"), job], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if out.returncode:
            print(f"{job:<14} échec : {out.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{job:<14} {result['seconds']:8.2f} {result['cpu_seconds']:8.2f} {result['peak_mb']:8.0f}  "
            f"{result['detail']}"
        )


def dgfip_lookups(env, runs=1000):
    """The real client against the DGFiP simulator served by gunicorn: sequential, then 8 threads."""
    site = f"http://127.0.0.1:{SIMULATOR}"
    # The simulator keeps its tokens in the cache: one shared by its workers and the client (Redis, as in
    # production; BENCH_CACHE_URL), else a worker would not know a token another one issued.
    simulator_env = {
        **env,
        "DEBUG": "true",
        "SITE_URL": site,
        "IMPOT_QUOTA_PER_MINUTE": str(runs * 4),
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/9"),
    }
    code = (
        "import json,sys,time;from concurrent.futures import ThreadPoolExecutor;import django;django.setup();"
        "from django.core.cache import cache;from impot_client import client;"
        "n,threads=int(sys.argv[1]),int(sys.argv[2]);cache.clear();"
        "one=lambda _i: client.fetch_by_numero_fiscal('3999990000025');"
        "t=time.perf_counter();"
        "list(ThreadPoolExecutor(threads).map(one,range(n))) if threads>1 else [one(i) for i in range(n)];"
        "print(json.dumps(time.perf_counter()-t))"
    )
    # gunicorn.conf.py (read from the working directory) writes the access log on stdout: kept in a file.
    with tempfile.NamedTemporaryFile(prefix="bench-access-", suffix=".log", mode="w") as log:
        process = gunicorn(
            "portal.wsgi:application",
            SIMULATOR,
            {**simulator_env, "DJANGO_SETTINGS_MODULE": "portal.settings.dev"},
            "--access-logfile",
            "-",
            stdout=log,
        )
        try:
            print(f"\nRecherches DGFiP contre le simulateur servi par gunicorn ({runs} recherches)")
            for threads in (1, 8):
                before = _token_requests(log.name)
                out = subprocess.run(
                    [PYTHON, "-c", code, str(runs), str(threads)],
                    cwd=ROOT,
                    env=simulator_env,
                    capture_output=True,
                    text=True,
                )
                if out.returncode:
                    print(f"  {threads} fil(s) : échec : {out.stderr.strip().splitlines()[-1:]}")
                    continue
                seconds = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"  {threads} fil(s) : {seconds / runs * 1e3:.2f} ms par recherche (mur), "
                    f"{_token_requests(log.name) - before} demande(s) de jeton"
                )
        finally:
            process.terminate()
            process.wait()


def _token_requests(path):
    time.sleep(0.5)  # gunicorn writes its access log line after the response
    with open(path) as lines:
        return sum(1 for line in lines if "/sandbox/dgfip/token" in line)


if __name__ == "__main__":
    main()
