"""Development settings, manage.py's default (`make run`): production's read from the project's .env as well,
plus the simulators (portal.settings.simulators). Never deploy them: `check --deploy` fails with a simulator on."""

from pathlib import Path

import environ

# Before base reads the environment. A real environment variable wins over the file (overwrite=False): what
# `make run HOST=...` relies on to move every address.
environ.Env.read_env(Path(__file__).resolve().parents[2] / ".env")

from portal.settings.simulators import *  # noqa: E402, F403
