from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "maillage.incidents"
    label = "incidents"

    def ready(self) -> None:
        from django.conf import settings

        from maillage.incidents.escalation import escalate_due
        from maillage.stream import ticker

        # The server process escalates the incidents nobody took in time (docs/decisions.md,
        # "Escalation": one claim per escalation, once across processes).
        ticker.every(float(settings.ESCALATION_TICK_SECONDS), "escalation", escalate_due)
