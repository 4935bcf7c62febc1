"""Set-up steps that span several domains (a new commune); called by the CLI and the demo."""
