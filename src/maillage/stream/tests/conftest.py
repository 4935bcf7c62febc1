"""Fixtures of the live stream tests."""

from maillage.stream.tests.live import live_db, loop  # noqa: F401 - the fixtures, for these tests
