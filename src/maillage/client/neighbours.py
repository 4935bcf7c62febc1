"""Neighbour alerts from the reference client (docs/decisions.md, « Neighbour alerts »): a
short text sealed once to the latest generation of a sector's group key
(`BroadcastKeys.prepare` with scope `sector:<id>`), posted to /neighbours/alerts; the
police validate, refuse and end them. Opened as any broadcast. The simulator and the
tests use it; the browser's twin is frontend/src/neighbours/send.ts."""

from __future__ import annotations

from typing import Any

from maillage.client.broadcasts import BroadcastKeys
from maillage.client.device import MemberDevice
from maillage.client.http import ClientApiError
from maillage.wire.broadcast import OpenedBroadcast


def sector_scope(sector: int | str) -> str:
    return f"sector:{sector}"


class NeighbourAlerts:
    """One device's neighbour alerts; its sector keys are `device.broadcasts`'."""

    def __init__(self, device: MemberDevice) -> None:
        self.device = device

    @property
    def keys(self) -> BroadcastKeys:
        return self.device.broadcasts

    def send(self, text: str, scope: str, incident: str | None = None) -> dict[str, Any]:
        """Seal and post; on `409 stale_group_key` refetch the generations and seal once
        more under a new id. Returns the alert as the server filed it (`status` pending
        or active)."""
        try:
            prepared = self.keys.prepare(text, scope=scope)
            return self.device.client.send_neighbour_alert(prepared.sealed, incident)
        except ClientApiError as error:
            if error.code != "stale_group_key":
                raise
        self.keys.verify_generations(scope)
        prepared = self.keys.prepare(text, scope=scope)
        return self.device.client.send_neighbour_alert(prepared.sealed, incident)

    def list(self) -> list[dict[str, Any]]:
        return self.device.client.neighbour_alerts()

    def open(self, item: dict[str, Any]) -> OpenedBroadcast:
        """The alert's sealed broadcast, attachments fetched from the alert's own route."""
        sealed = item["broadcast"]
        parts = [
            self.device.client.neighbour_attachment(str(item["id"]), int(part["index"]))
            for part in sealed.get("attachments", [])
        ]
        return self.keys.open(sealed, parts)

    def open_end(self, item: dict[str, Any]) -> OpenedBroadcast | None:
        """The police's sealed « fin d'alerte » message, if any."""
        message = item.get("end_message")
        return self.keys.open(message, []) if isinstance(message, dict) else None

    def validate(self, alert: str) -> dict[str, Any]:
        return self.device.client.validate_neighbour_alert(alert)

    def refuse(self, alert: str) -> dict[str, Any]:
        return self.device.client.refuse_neighbour_alert(alert)

    def end(self, alert: str, text: str | None = None, *, scope: str | None = None) -> dict:
        """« Fin d'alerte »; with `text`, a message sealed to the alert's sector (`scope`)."""
        if text is None:
            return self.device.client.end_neighbour_alert(alert)
        if scope is None:
            scope = str(self.device.client.neighbour_alert(alert)["scope"])
        prepared = self.keys.prepare(text, scope=scope)
        return self.device.client.end_neighbour_alert(alert, prepared.sealed)
