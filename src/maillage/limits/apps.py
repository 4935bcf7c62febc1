from django.apps import AppConfig


class LimitsConfig(AppConfig):
    name = "maillage.limits"
    label = "limits"
    verbose_name = "Limites de débit"
