"""The commune's event log (audit trail and live feed), and the action helper that writes it."""
