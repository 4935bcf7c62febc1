from django.apps import AppConfig


class BroadcastsConfig(AppConfig):
    name = "maillage.broadcasts"
    label = "broadcasts"
