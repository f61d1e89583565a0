"""A shell on the shipped flows with the demo services and a silent voice: what
`make screens`, the UI tests and the benchmarks start (no devices, no backend)."""

from __future__ import annotations

from collections.abc import Callable

from flows.loader import flow_files, load_flow
from kiosk.strings import Catalogue
from ui.shell import KioskShell, Service
from ui.voice import Voice


def demo_shell_factory(
    strings: Catalogue, extra_flows: list[str] | None = None, voice_engine: str | None = "mock"
) -> Callable[[Callable[[str], None]], KioskShell]:
    def make(on_language: Callable[[str], None]) -> KioskShell:
        paths = flow_files() + [__import__("pathlib").Path(p) for p in extra_flows or []]
        services = [Service(load_flow(path, strings)) for path in paths]
        return KioskShell(services, Voice(strings, voice_engine), on_language=on_language)

    return make
