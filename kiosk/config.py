"""The terminal's configuration: one schema, one TOML file, environment overrides.

Where the file is: `--config PATH`, else `$KIOSK_CONFIG`, else
`/etc/kiosk/kiosk.toml` on a terminal, else `config/kiosk.dev.toml` in a source
checkout, else the defaults.

Overrides: `KIOSK__<SECTION>__<KEY>=value`, e.g. `KIOSK__LOGGING__LEVEL=DEBUG` or
`KIOSK__DEVICES__ID_CARD__PORT=/dev/pts/4`. A value that starts with `[` or `{`
is read as TOML; other values are converted by the schema.

Each package contributes its own section model; a wrong value fails with one
line naming the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drivers.config import DeviceLinksSection, DeviceName, DeviceSection
from kiosk.documents.config import ProofSection
from kiosk.errors import ConfigError
from kiosk.intercom.config import HelpSection
from kiosk.maintenance import MaintenanceSection
from kiosk.strings import Msg
from offline_cache.config import CacheSection

ENV_PREFIX = "KIOSK__"
TERMINAL_CONFIG = Path("/etc/kiosk/kiosk.toml")
DEV_CONFIG = Path(__file__).resolve().parent.parent / "config" / "kiosk.dev.toml"

Language = Literal["zh_CN", "en"]


class TerminalSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        "dev-terminal",
        pattern=r"^[a-z0-9][a-z0-9-]{2,62}$",
        description="the terminal's id in the fleet (lower-case letters, digits, '-')",
    )
    name: str = Field("开发终端", min_length=1, max_length=80)
    location: str = Field("", max_length=200, description="where the booth stands")
    site: str = Field(
        "", max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$",
        description="the site (网点) the backend groups it under, e.g. "
        "北京市公安局海淀分局 中关村派出所; sent at enrolment (empty: the backend takes "
        "it from the name)",
    )  # fmt: skip
    city_pack: str = Field("default", pattern=r"^[a-z0-9_-]+$")


class LoggingSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    dir: Path | None = Field(
        None, description="folder of the JSON-lines log files; none: stderr only"
    )
    stderr: bool = True
    sensitive: Literal["off", "redacted", "clear"] = Field(
        "off",
        description="the kiosk.sensitive.* channel (frame traces): off, redacted, or clear "
        "(clear shows personal data: only on a bench, never on a terminal)",
    )
    max_bytes: int = Field(10_000_000, ge=100_000, le=1_000_000_000)
    backups: int = Field(5, ge=1, le=100)

    @field_validator("sensitive")
    @classmethod
    def _sensitive_needs_dir(cls, value: str, info: Any) -> str:
        if value != "off" and info.data.get("dir") is None:
            raise ValueError("the sensitive channel writes its own file: set logging.dir too")
        return value


class ScreenSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orientation: Literal["portrait", "landscape"] = "portrait"
    language: Language = "zh_CN"
    elderly_mode: bool = Field(False, description="start in elderly mode")
    voice: Literal["speechd", "mock", "off"] = Field(
        "speechd", description="text-to-speech engine (speechd: speech-dispatcher with espeak-ng)"
    )
    vnc_port: int = Field(
        5900, ge=1024, le=65535, description="localhost port of the shared virtual display"
    )


class BackendSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    embedded: bool = Field(True, description="start the reference backend inside `make run`")
    identity_file: Path = Field(
        Path("/var/lib/kiosk/identity.json"),
        description="the terminal's key pair and id from `kiosk enroll` (mode 0600)",
    )
    ca_file: Path | None = Field(
        None,
        description="the police CA certificate (PEM), installed with this file: the first "
        "boot's commissioning screen pins it for an https backend (`kiosk enroll --ca`)",
    )
    timeout_s: float = Field(10.0, gt=0, le=120, description="one request's time limit")
    batch_size: int = Field(100, ge=1, le=500, description="outbox records per request")
    heartbeat_s: int = Field(60, ge=10, le=3600, description="seconds between heartbeats")

    @field_validator("url")
    @classmethod
    def _no_plain_http_off_loopback(cls, url: str | None) -> str | None:
        """The terminal's transport rule (kiosk/sync/identity.py), at configuration load."""
        from kiosk.sync.identity import InsecureBackend, check_backend_url

        if url is not None:
            try:
                check_backend_url(url)
            except InsecureBackend:
                raise ValueError("plain http:// only to loopback; use https://") from None
        return url


# Where a device's slot is on the cabinet, seen by the citizen facing the screen: the
# screens' drawings point there. A small fixed vocabulary (ui/qml/parts/Drawing.qml).
SlotPosition = Literal["above", "left", "right", "below-left", "below", "below-right"]


class SlotsSection(BaseModel):
    """Each device's slot, as the cabinet is built: the camera above the screen, the
    card reader on the desk below it, on the right, and so on."""

    model_config = ConfigDict(extra="forbid")

    camera: SlotPosition = "above"
    id_card: SlotPosition = "below-right"
    smartcard: SlotPosition = "below-right"
    fingerprint: SlotPosition = "below-left"
    scanner: SlotPosition = "below"
    document_printer: SlotPosition = "below-left"
    receipt_printer: SlotPosition = "below-right"
    card_payment: SlotPosition = "right"
    scanner_a4: SlotPosition = "below"


def _deployment_suite() -> Literal["gm", "intl"]:
    from wire import crypto  # only when a config names no suite: loading stays light

    return "intl" if crypto.DEFAULT == "intl" else "gm"


class CryptoSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: Literal["gm", "intl"] = Field(  # wire.crypto.NAMES
        default_factory=_deployment_suite,
        description="the deployment's crypto suite, the backend's `serve --crypto-suite`: "
        "gm (SM2, SM3, SM4: commercial cryptography) or intl (Ed25519, SHA-256, AES); "
        "`kiosk enroll` makes the terminal's key pair in it",
    )


class UpdatesSection(BaseModel):
    """Package updates that roll back (docs/updates.md)."""

    model_config = ConfigDict(extra="forbid")

    state_dir: Path = Field(
        Path("/var/lib/kiosk-updates"),
        description="the root scripts' folder (pending.json, outcome.json), only read",
    )
    confirm_after_s: float = Field(
        60.0, ge=1, le=3600,
        description="a start is good when the touchscreen is up and answering this long "
        "after its first frame: then an update on probation is confirmed",
    )  # fmt: skip


class KioskConfig(BaseModel):
    """The whole configuration of one terminal."""

    model_config = ConfigDict(extra="forbid")

    terminal: TerminalSection = Field(default_factory=TerminalSection)
    logging: LoggingSection = Field(default_factory=LoggingSection)
    screen: ScreenSection = Field(default_factory=ScreenSection)
    backend: BackendSection = Field(default_factory=BackendSection)
    crypto: CryptoSection = Field(default_factory=CryptoSection)
    cache: CacheSection = Field(default_factory=CacheSection)
    proof: ProofSection = Field(default_factory=ProofSection)
    maintenance: MaintenanceSection = Field(default_factory=MaintenanceSection)
    slots: SlotsSection = Field(default_factory=SlotsSection)
    device_links: DeviceLinksSection = Field(default_factory=DeviceLinksSection)
    updates: UpdatesSection = Field(default_factory=UpdatesSection)
    help: HelpSection = Field(default_factory=HelpSection)
    devices: dict[DeviceName, DeviceSection] = Field(default_factory=dict)

    @field_validator("devices")
    @classmethod
    def _faults_apply(cls, devices: dict[str, DeviceSection]) -> dict[str, DeviceSection]:
        """A scripted fault the device's simulator does not have is refused, never
        silently ignored."""
        from drivers.faults import faults_of

        for name, section in devices.items():
            for fault in section.faults:
                if fault.kind not in faults_of(name):
                    raise ValueError(f"{name} has no fault {fault.kind}; its faults: "
                                     + ", ".join(faults_of(name)))  # fmt: skip
        return devices


class LoadedConfig(BaseModel):
    """A validated configuration and where it came from."""

    config: KioskConfig
    source: Path | None
    overrides: list[str] = Field(default_factory=list, description="keys set by environment")


def locate(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if explicit:
        return Path(explicit)
    if env.get("KIOSK_CONFIG"):
        return Path(env["KIOSK_CONFIG"])
    for candidate in (TERMINAL_CONFIG, DEV_CONFIG):
        if candidate.is_file():
            return candidate
    return None


def load(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> LoadedConfig:
    """Read, override and validate the configuration; raise `ConfigError` on any fault."""
    env = os.environ if env is None else env
    source = locate(path, env)
    data: dict[str, Any] = {}
    if source is not None:
        data = _read_toml(source)
    overrides = _apply_env(data, env)
    where: object = str(source) if source else Msg("config.defaults")
    try:
        config = KioskConfig.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, where, data, overrides) from None
    if source is not None:
        _resolve_paths(config, source.parent)
    return LoadedConfig(config=config, source=source, overrides=sorted(overrides))


def _read_toml(source: Path) -> dict[str, Any]:
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("config.unreadable", file=source, reason=exc.strerror) from None
    except UnicodeDecodeError:
        raise ConfigError("config.not_utf8", file=source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config.bad_toml", file=source, reason=exc) from None


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Write `KIOSK__A__B=v` into data["a"]["b"]; return key -> variable name."""
    applied: dict[str, str] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX) :].split("__")]
        if not all(keys):
            raise ConfigError("config.env_empty_key", name=name)
        node = data
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError("config.env_not_section", name=name, key=key)
            node = child
        node[keys[-1]] = _env_value(name, raw)
        applied[".".join(keys)] = name
    return applied


def _env_value(name: str, raw: str) -> Any:
    if raw.lstrip().startswith(("[", "{")):
        try:
            return tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("config.env_bad_toml", name=name, reason=exc) from None
    return raw


def _invalid(
    exc: ValidationError, where: object, data: dict[str, Any], env: dict[str, str]
) -> ConfigError:
    """The first error as one line; the count of the others after it."""
    errors = exc.errors()
    first = errors[0]
    loc = [str(part) for part in first["loc"]]
    names_a_key = loc[-1:] == ["[key]"]  # the name of a table is wrong, not its value
    if names_a_key:
        loc = loc[:-1]
    key = ".".join(loc)
    origin = Msg("config.environment", {"name": env[key]}) if key in env else where
    value = _MISSING if names_a_key else _lookup(data, loc)
    return ConfigError(
        "config.invalid",
        origin=origin,
        key=key,
        value="" if value is _MISSING else f" = {value!r}",
        problem=_explain(first, loc),
        more=Msg("config.more", {"count": len(errors) - 1}) if len(errors) > 1 else "",
    )


_MISSING = object()


def _lookup(data: Any, loc: list[str]) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


def _explain(error: Any, loc: list[str]) -> Msg:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return Msg("config.unknown_key", {"allowed": ", ".join(allowed) or "-"})
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        if len(loc) == 2 and loc[0] == "devices":  # a [devices.<name>] table
            return Msg("config.unknown_device", {"allowed": expected})
        return Msg("config.allowed", {"allowed": expected})
    if kind == "string_pattern_mismatch":
        parent = _model_at(loc[:-1])
        field = parent.model_fields.get(loc[-1]) if parent else None
        why = f" ({field.description})" if field is not None and field.description else ""
        return Msg("config.pattern", {"pattern": error["ctx"]["pattern"], "why": why})
    # pydantic's own words ("Input should be greater than or equal to 1024")
    return Msg("config.problem", {"detail": str(error["msg"]).removeprefix("Value error, ")})


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    """The section model found at a key path, through dicts, lists and optionals."""
    node: Any = KioskConfig
    for part in loc:
        node = _without_none(node)
        if typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]  # `part` was the key
        elif typing.get_origin(node) is list:
            node = typing.get_args(node)[0]  # `part` was the index
        elif _is_model(node) and part in node.model_fields:
            node = node.model_fields[part].annotation
        else:
            return None
    node = _without_none(node)
    return node if _is_model(node) else None


def _without_none(node: Any) -> Any:
    if typing.get_origin(node) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(node) if a is not type(None)]
        return rest[0] if len(rest) == 1 else node
    return node


def _is_model(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def _allowed_keys(loc: list[str]) -> list[str]:
    model = _model_at(loc)
    return sorted(model.model_fields) if model else []


def _resolve_paths(model: BaseModel, base: Path) -> None:
    """Relative paths in the file are read from the file's folder."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Path) and not value.is_absolute():
            setattr(model, name, (base / value).resolve())
        elif isinstance(value, BaseModel):
            _resolve_paths(value, base)
        elif isinstance(value, dict):
            for item in value.values():
                if isinstance(item, BaseModel):
                    _resolve_paths(item, base)
