from django.apps import AppConfig


class ImpotSandboxConfig(AppConfig):
    """The DGFiP simulator as an app of its own, installed by the dev and test settings only, with the deployment
    check that refuses it without DEBUG."""

    name = "impot_client.sandbox"
    label = "impot_sandbox"

    def ready(self):
        from impot_client.sandbox import checks  # noqa: F401  registers the deployment check
