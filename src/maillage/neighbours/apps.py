from django.apps import AppConfig


class NeighboursConfig(AppConfig):
    name = "maillage.neighbours"
    label = "neighbours"

    def ready(self) -> None:
        from django.conf import settings

        from maillage.neighbours.actions import expire_due
        from maillage.stream import ticker

        # The server process ends the alerts that reached their time (docs/decisions.md,
        # "Neighbour alerts": one claim per alert, once across processes).
        ticker.every(float(settings.NEIGHBOUR_EXPIRY_TICK_SECONDS), "neighbour_expiry", expire_due)
