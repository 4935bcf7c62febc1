from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "maillage.privacy"
    label = "privacy"
