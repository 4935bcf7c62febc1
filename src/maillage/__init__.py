"""Maillage: incident reports from shopkeepers to the municipal police, end-to-end encrypted."""
