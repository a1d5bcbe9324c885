from django.apps import AppConfig


class FranceConnectConfig(AppConfig):
    name = "franceconnect"
    verbose_name = "FranceConnect"
