"""The hook the live stream (issue 8) listens to: sent once per event, after its commit."""

from django.dispatch import Signal

# Sent with `event=` (a stream.models.Event) once the transaction that appended it has
# committed; never for a rolled-back one. Receivers only wake listeners up: the log
# stays the record, so a receiver that fails delays a delivery, it loses nothing.
event_committed = Signal()
