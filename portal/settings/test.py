"""Settings of the test suite (pyproject's DJANGO_SETTINGS_MODULE): development's simulators with fixed, test-only
secrets, and no .env read, so that plain `pytest` passes on a fresh clone and the same way on every machine. A real
environment variable still wins (DATABASE_URL for PostgreSQL, and what the tests give the processes they start)."""

import os

# What a developer's .env gives `make run`, fixed. Put in the environment rather than in settings: base reads it at
# import (and refuses to start without the keys), and the manage.py processes the tests start inherit it.
TEST_ENVIRONMENT = {
    "DEBUG": "true",
    "SECRET_KEY": "tests-only-secret-key-never-used-outside-the-test-suite-4f9c2a7e1b",
    "FIELD_ENCRYPTION_KEYS": "dGVzdHMtb25seS1rZXktbmV2ZXItZm9yLXJlYWwtZGE=",
}
for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)

from portal.settings.simulators import *  # noqa: E402, F403
