"""The reference Maillage client: envelopes, key directory checks, service key, photos.

Importable without Django (like `maillage.trust.chain`), so scripts, bots and tests can
seal and open exactly as a device does.
"""
