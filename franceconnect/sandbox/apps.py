from django.apps import AppConfig


class FranceConnectSandboxConfig(AppConfig):
    """The simulator as an app of its own, installed by the dev and test settings only: its templates, and the
    deployment check that refuses it without DEBUG, exist nowhere else."""

    name = "franceconnect.sandbox"
    label = "franceconnect_sandbox"

    def ready(self):
        from franceconnect.sandbox import checks  # noqa: F401  registers the deployment check
