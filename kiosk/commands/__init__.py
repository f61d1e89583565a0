"""The application's own `kiosk` subcommands (registered in pyproject.toml)."""
