from django.apps import AppConfig


class FranceConnectConfig(AppConfig):
    name = "franceconnect"
    verbose_name = "FranceConnect"

    def ready(self):
        from franceconnect.sandbox import checks  # noqa: F401  registers the system check
