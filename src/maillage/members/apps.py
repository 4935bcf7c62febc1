from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "maillage.members"
    label = "members"
