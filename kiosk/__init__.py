"""Application core of the police self-service terminal."""

__version__ = "0.1.0"
