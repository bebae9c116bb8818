"""`python -m boxoffice` runs the CLI."""

from boxoffice.cli import app

app()
