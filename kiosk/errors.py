"""The errors a command reports to a person, and the exit codes they map to.

Exit codes of `kiosk` and `kiosk-backend` (documented in README.md):

    0  success
    1  the command ran and the answer is "no" (a check or a self-test failed)
    2  usage error, or bad input: arguments, configuration, a file
    3  a service or device the command needs is unavailable
    4  internal error (a bug): one line on stderr, the traceback in the log
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

from kiosk.strings import Msg, catalogue

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130


class KioskError(Exception):
    """An error with a one-line message, from the catalogue, for the person at the console."""

    exit_code = EXIT_FAILED

    def __init__(self, message_id: str, /, **params: object) -> None:
        self.msg = Msg(message_id, params)
        super().__init__(message_id)

    def render(self, lang: str) -> str:
        return catalogue().render(self.msg, lang)

    def __str__(self) -> str:
        return self.render("en")


class UsageError(KioskError):
    """Wrong command-line arguments."""

    exit_code = EXIT_USAGE


class ConfigError(KioskError):
    """A configuration file or override that cannot be used as it is."""

    exit_code = EXIT_USAGE


class ServiceUnavailable(KioskError):
    """Something the command needs (a display, a device, the backend) is not there."""

    exit_code = EXIT_UNAVAILABLE
