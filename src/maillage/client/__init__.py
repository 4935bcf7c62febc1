"""The reference Maillage client: a member's device, the API, the live stream
(`maillage.client.stream.StreamClient`), photo re-encoding.

Importable without Django, so scripts, bots and tests can seal and open exactly as a
device does. The formats it speaks (envelopes, key directory checks, service key) live
in `maillage.wire`, shared with the server.
"""
