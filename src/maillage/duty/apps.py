from django.apps import AppConfig


class DutyConfig(AppConfig):
    name = "maillage.duty"
    label = "duty"
