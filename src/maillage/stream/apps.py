from django.apps import AppConfig


class StreamConfig(AppConfig):
    name = "maillage.stream"
    label = "stream"
