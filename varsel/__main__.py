"""Allow ``python -m varsel``."""

from varsel.cli import app

app(prog_name="varsel")
