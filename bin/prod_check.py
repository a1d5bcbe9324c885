"""`make prod-check`: the production profile, checked here before it is deployed.

1. `manage.py check --deploy --fail-level WARNING` with production's settings (portal.settings.base) and
   production-like values: no warning allowed;
2. a smoke test of that profile against the PostgreSQL and Redis of this machine: a scratch database is created,
   migrated, the static files collected (WhiteNoise's compressed manifest), gunicorn started with gunicorn.conf.py
   on a free port, then GET /, /healthz, a static file (compressed, cached for ever) and the sign-in page (and a
   refused sign-in), behind a TLS proxy as in production (X-Forwarded-Proto); gunicorn's access log must be JSON;
3. gunicorn stopped, the scratch database dropped, the Redis keys of the run deleted.

Exit status 0 when everything passed. Addresses: PROD_CHECK_POSTGRES (an administrator's URL, default
postgres://postgres@127.0.0.1:5432/postgres) and PROD_CHECK_REDIS (default redis://127.0.0.1:6379/0).
"""

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("PROD_CHECK_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PROD_CHECK_REDIS", "redis://127.0.0.1:6379/0")
HOST = "portail.prod-check.example"  # the public name, as nginx passes it on


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name: str) -> str:
    parts = urlsplit(POSTGRES)
    return urlunsplit(parts._replace(path=f"/{name}"))


def production_environment(*, database: str, prefix: str, scratch: Path) -> dict[str, str]:
    """What a deployment sets (docs/deploiement.md), with throwaway keys and the local services."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "IMPOT_", "FRANCECONNECT_", "API_PARTICULIER_")) and key != "DEBUG"
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"https://{HOST}",
        "BEHIND_TLS_PROXY": "true",
        "DATABASE_URL": database_url(database),
        "CONN_MAX_AGE": "60",
        "CACHE_URL": REDIS,
        "CACHE_KEY_PREFIX": prefix,
        "EMAIL_URL": "smtp+tls://portail:secret@smtp.prod-check.example:587",
        "ADMINS": "Service informatique <informatique@prod-check.example>",
        "STATIC_ROOT": str(scratch / "static"),
        "PRIVATE_MEDIA_ROOT": str(scratch / "private"),
        "FRANCECONNECT_ISSUER": "https://oidc.franceconnect.gouv.fr/api/v2",
        "FRANCECONNECT_CLIENT_ID": "client-id-from-datapass",
        "FRANCECONNECT_CLIENT_SECRET": "client-secret-from-datapass",
        "IMPOT_API_URL": "https://gateway.dgfip.example/impotparticulier/1.0",
        "IMPOT_TOKEN_URL": "https://gateway.dgfip.example/token",
        "IMPOT_CLIENT_ID": "client-id-from-datapass",
        "IMPOT_CLIENT_SECRET": "client-secret-from-datapass",
        "IMPOT_ID_TELESERVICE": "teleservice-from-datapass",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
    }


class Failed(Exception):
    pass


def step(title: str) -> None:
    print(f"== {title}", flush=True)


def ok(what: str) -> None:
    print(f"   ok  {what}", flush=True)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise Failed(what)
    ok(what)


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise Failed(f"manage.py {' '.join(args)} a échoué :\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def smoke(env: dict[str, str], log_path: Path) -> None:
    base_url = f"http://{env['GUNICORN_BIND']}"
    headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and config
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as browser:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise Failed(f"gunicorn s'est arrêté :\n{log_path.read_text()}")
                try:
                    if browser.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise Failed(f"gunicorn ne répond pas sur {base_url} :\n{log_path.read_text()}")
                time.sleep(0.2)
            ok(f"gunicorn écoute sur {base_url}")

            health = browser.get("/healthz")
            try:
                body = health.json()
            except ValueError:
                body = {}
            # The profile's dependencies, each required and answering: PostgreSQL, Redis, the tasks' table.
            expect(
                health.status_code == 200
                and all(body.get(name) == "ok" for name in ("status", "database", "cache", "tasks")),
                f"/healthz : 200, base de données, Redis et file des tâches ok ({health.text[:200]})",
            )

            home = browser.get("/")
            expect(home.status_code == 200, "/ : 200")
            expect("max-age=31536000" in home.headers.get("strict-transport-security", ""), "/ : HSTS un an")
            expect("script-src 'self'" in home.headers.get("content-security-policy", ""), "/ : CSP stricte")
            insecure = httpx.get(f"{base_url}/", headers={"Host": HOST}, timeout=10)
            expect(insecure.status_code == 301, "/ en HTTP : redirigé vers HTTPS")

            manifest = json.loads((Path(env["STATIC_ROOT"]) / "staticfiles.json").read_text())
            hashed = manifest["paths"]["portal/site.css"]
            css = browser.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
            expect(css.status_code == 200, f"/static/{hashed} : 200")
            expect(css.headers.get("content-encoding") in ("gzip", "br"), "fichier statique servi compressé")
            expect(
                "immutable" in css.headers.get("cache-control", ""), "fichier statique en cache pour toujours"
            )

            login = browser.get("/compte/connexion/")
            expect(
                login.status_code == 200 and "csrfmiddlewaretoken" in login.text, "page de connexion : 200"
            )
            cookie = login.headers.get("set-cookie", "")
            expect("csrftoken=" in cookie and "Secure" in cookie, "cookie CSRF sécurisé")
            # The cookie is Secure: httpx keeps it for https only, the proxy's clients send it back.
            token = login.cookies.get("csrftoken") or cookie.split("csrftoken=", 1)[1].split(";", 1)[0]
            refused = browser.post(
                "/compte/connexion/",
                data={"csrfmiddlewaretoken": token, "username": "personne@example.org", "password": "x" * 12},
                headers={"Referer": f"https://{HOST}/compte/connexion/", "Cookie": f"csrftoken={token}"},
            )
            expect(
                refused.status_code == 200 and "csrfmiddlewaretoken" in refused.text,
                f"connexion refusée : la page revient (HTTP {refused.status_code}), sans erreur 500",
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    access = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError as error:
            raise Failed(f"ligne de journal qui n'est pas du JSON : {line}") from error
        if record.get("logger") == "gunicorn.access":
            access.append(record)
    if not any(record.get("path") == "/healthz" and record.get("status") == 200 for record in access):
        raise Failed("pas de ligne d'accès JSON pour /healthz :\n" + "\n".join(lines))
    example = json.dumps(access[0], ensure_ascii=False)
    ok(f"journaux JSON ({len(lines)} lignes, dont {len(access)} d'accès), par exemple :\n       {example}")
    ok("gunicorn arrêté")


def clean_up(database: str | None, prefix: str, scratch: Path) -> None:
    """The scratch database, the run's Redis keys, the temporary files: whatever happened before."""
    try:
        if database:
            with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
                )
        store = redis.Redis.from_url(REDIS, socket_connect_timeout=5)
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
    except (psycopg.Error, redis.RedisError) as error:
        print(
            f"Nettoyage incomplet ({type(error).__name__}) : base {database}, clés Redis {prefix}*",
            file=sys.stderr,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    name = f"portail_prod_check_{secrets.token_hex(4)}"
    prefix = f"prod-check-{secrets.token_hex(4)}"
    scratch = Path(tempfile.mkdtemp(prefix="prod-check-"))
    env = production_environment(database=name, prefix=prefix, scratch=scratch)
    created = False
    try:
        step("check --deploy (portal.settings.base, DEBUG=false)")
        output = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
        expect("no issues" in output, "aucun avertissement")

        step(f"PostgreSQL ({urlsplit(POSTGRES).netloc}) et Redis ({urlsplit(REDIS).netloc})")
        try:
            with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as error:
            raise Failed(
                f"PostgreSQL injoignable ou refus de créer la base ({type(error).__name__})"
            ) from error
        created = True
        ok(f"base de test {name} créée")
        try:
            expect(redis.Redis.from_url(REDIS, socket_connect_timeout=5).ping(), "Redis répond")
        except redis.RedisError as error:
            raise Failed(f"Redis injoignable ({type(error).__name__})") from error
        manage("migrate", "--noinput", env=env)
        ok("migrate")
        manage("collectstatic", "--noinput", env=env)
        expect(
            (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists(), "collectstatic (manifeste WhiteNoise)"
        )

        step("gunicorn (gunicorn.conf.py, 2 workers)")
        smoke(env, scratch / "gunicorn.log")
    except Failed as failure:
        print(f"ÉCHEC : {failure}", file=sys.stderr)
        return 1
    finally:
        clean_up(name if created else None, prefix, scratch)
    print("prod-check : tout est bon.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
