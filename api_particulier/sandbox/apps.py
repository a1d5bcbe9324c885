from django.apps import AppConfig


class ApiParticulierSandboxConfig(AppConfig):
    """The API Particulier simulator as an app of its own, installed by the dev and test settings only, with the
    deployment check that refuses it without DEBUG."""

    name = "api_particulier.sandbox"
    label = "api_particulier_sandbox"

    def ready(self):
        from api_particulier.sandbox import checks  # noqa: F401  registers the deployment check
