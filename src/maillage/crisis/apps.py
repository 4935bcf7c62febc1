from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "maillage.crisis"
    label = "crisis"
