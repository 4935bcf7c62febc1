"""Duty hours of the police municipale, operator presence and the fallback recipients (issue 9)."""
