from django.apps import AppConfig


class StreamConfig(AppConfig):
    name = "maillage.stream"
    label = "stream"

    def ready(self) -> None:
        from maillage.stream import bus
        from maillage.stream.signals import event_committed

        event_committed.connect(bus.on_event_committed, dispatch_uid="maillage.stream.bus")
