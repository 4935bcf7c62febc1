from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "maillage.incidents"
    label = "incidents"
