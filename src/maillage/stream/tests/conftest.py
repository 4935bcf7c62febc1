"""Fixtures of the live stream tests."""

from maillage.stream.tests.live import live_db  # noqa: F401 - the fixture, for these tests
