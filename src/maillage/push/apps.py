from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "maillage.push"
    label = "push"

    def ready(self) -> None:
        from django.conf import settings

        from maillage.push.worker import run_once
        from maillage.stream import ticker

        # At once after a commit in this process; the tick for the other processes' events.
        ticker.every(float(settings.PUSH_TICK_SECONDS), "push", run_once, on_events=True)
