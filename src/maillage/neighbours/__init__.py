"""Neighbour alerts: a short sealed alert to a sector's shops, validated, expiring, ended."""
