"""Settings modules: `base` is production's (the environment only, no simulator), `dev` is manage.py's default
(base, the project's .env and the simulators), `test` is pytest's (base and the simulators, fixed test keys)."""
