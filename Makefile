# Portail Famille — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test lint bench prod-check install install-test env-keys chromium wrk clean

# Every simulator address follows from SITE_URL (portal/settings/simulators.py). Given to the commands, it wins
# over a .env (django-environ never overwrites a real environment variable), so HOST alone moves the whole journey.
SITE_URL ?= http://$(HOST)
MANAGE = SITE_URL=$(SITE_URL) $(BIN)/python manage.py

run: install .env env-keys
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) seed_parking_demo
	@echo "Portail Famille : $(SITE_URL)/ (courriels envoyés par le worker db_worker, affichés ici)"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; $(MANAGE) db_worker --interval 1 & $(MANAGE) runserver $(HOST)

# pytest's settings (portal.settings.test) hold their own test keys and read no .env.
test: install-test chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Measures what the portal adds around DGFiP (see bench/run.py), then pages and batch jobs at a commune's scale on
# PostgreSQL (bench/scale.py: BENCH_DATABASE_URL, created if missing; BENCH_SCALE=0.1 for a tenth); prints figures,
# asserts nothing.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portail_bench
bench: install-test .env env-keys wrk
	$(BIN)/python bench/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/scale.py

# The production profile: check --deploy, then migrate, collectstatic and gunicorn against this machine's
# PostgreSQL and Redis (127.0.0.1), with a smoke test (bin/prod_check.py; docs/deploiement.md).
prod-check: install
	$(BIN)/python bin/prod_check.py

# ruff, the import contracts of pyproject's [tool.importlinter], then bandit ([tool.bandit]; findings explained
# in place with `# nosec BXXX` under a comment saying why).
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/bandit -c pyproject.toml -r . -q

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

# A local .env for development, with a fresh secret key; production sets real variables instead.
.env:
	sed "s|^SECRET_KEY=.*|SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')|" .env.example > $@
	@echo "Created .env from .env.example"

# A fresh Fernet key for fiscal data, added to a .env made before the key existed.
FERNET_KEY = $$($(PYTHON) -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
env-keys: .env
	@grep -q '^FIELD_ENCRYPTION_KEYS=.' .env || { \
		sed -i '/^FIELD_ENCRYPTION_KEYS=/d' .env; echo "FIELD_ENCRYPTION_KEYS=$(FERNET_KEY)" >> .env; \
		echo "Added a FIELD_ENCRYPTION_KEYS to .env"; }

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Chromium is missing: sudo apt-get install chromium (browser tests will fail)"; \
		fi; }

# make bench loads the pages with wrk (its Python load generator, without it, saturates before the portal does).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else \
			echo "wrk is missing: sudo apt-get install wrk (make bench falls back to a Python load generator)"; \
		fi; }

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
