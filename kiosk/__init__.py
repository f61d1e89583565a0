"""Application core of the police self-service terminal."""

from wire import __version__  # one version for terminal and backend

__all__ = ["__version__"]
