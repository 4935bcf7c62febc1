"""Sealing crisis instructions as an operator's device does (the commune's group key, the
Python wire code) and opening them as a merchant's device would."""

from __future__ import annotations

from typing import Any

from maillage.members.tests import factory
from maillage.trust.tests import group_key_factory as keys
from maillage.trust.tests.test_group_keys_api import open_my_grant, trust
from maillage.wire import broadcast

CRISIS = "/api/v1/crisis"
INSTRUCTIONS = "Mode crise : fermez vos rideaux, restez à l'intérieur, appelez le 17 si besoin."


def post(
    persona: factory.Persona,
    path: str,
    generation: keys.Generation | None,
    text: str = INSTRUCTIONS,
    *,
    sealed: Any = None,
    attachments: list[bytes] | None = None,
) -> Any:
    """POST /crisis/<path>, with `text` sealed to `generation` (none: an empty body)."""
    if sealed is None and generation is not None:
        sealed = keys.seal(persona, generation, text, attachments=attachments)
    form = keys.multipart(sealed) if sealed is not None else {}
    return persona.client().post(f"{CRISIS}/{path}", **form)


def state(persona: factory.Persona) -> dict[str, Any]:
    response = persona.client().get(CRISIS)
    assert response.status_code == 200, response.content
    return dict(response.json())


def open_sealed(persona: factory.Persona, sealed: dict[str, Any]) -> broadcast.OpenedBroadcast:
    """Open the state's sealed instructions (or end message) as the persona's device does."""
    private = open_my_grant(persona, sealed["scope"])
    parts = []
    for part in sealed["attachments"]:
        response = persona.client().get(
            f"/api/v1/broadcasts/{sealed['broadcast']}/attachments/{part['index']}"
        )
        assert response.status_code == 200, response.content
        parts.append(response.content)
    return broadcast.open_broadcast(
        sealed["envelope"],
        parts,
        broadcast.BroadcastBinding(
            str(persona.commune.public_id), sealed["scope"], sealed["broadcast"]
        ),
        broadcast.GroupOpener(sealed["scope"], sealed["number"], private),
        trust(persona.commune),
    )
