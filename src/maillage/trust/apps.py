from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "maillage.trust"
    label = "trust"
