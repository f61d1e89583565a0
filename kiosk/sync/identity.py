"""The terminal's identity: its key pair in its crypto suite (wire/crypto: SM2 in
`gm`, Ed25519 in `intl`; a file without `suite`, from before the suites, is `intl`),
the id the backend gave it at enrolment, the backend's address, and the police CA
the backend's certificate must come from. One file, readable by the kiosk's user
only; the CA certificate beside it (`identity.ca.pem` next to `identity.json`), which
is public.

The transport rules live here, so that every way to the backend keeps them:

- plain `http://` only to loopback (127.0.0.0/8, ::1, localhost): the embedded
  backend of `make run` and tests. Anywhere else the link would carry citizens' data
  and the terminal's signed requests in clear;
- `https://` only with a pinned CA, given at enrolment (`kiosk enroll --ca FILE`):
  the backend is on the police's private network with a certificate from the
  police's own CA, and a terminal that trusted the public roots would trust any of
  a hundred CAs to vouch for its backend.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cryptography import x509

if TYPE_CHECKING:
    from wire.crypto import PrivateKey

LOOPBACK_NAMES = frozenset({"localhost"})


class IdentityError(Exception):
    """The identity file is missing or unusable: the message names it and why."""


class InsecureBackend(IdentityError):
    """A backend address the terminal does not talk to: plain http off loopback, or
    https with no pinned CA. The message names the address."""


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_backend_url(url: str) -> None:
    """InsecureBackend for plain http to a host that is not loopback."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "http" and not is_loopback(parts.hostname or ""):
        raise InsecureBackend(
            f"{url}: plain http:// is refused except to loopback (127.0.0.0/8, ::1, "
            "localhost); use https:// with the police CA (kiosk enroll --ca FILE)"
        )


def needs_ca(url: str) -> bool:
    return urlsplit(url).scheme.lower() == "https"


def read_ca(path: Path, now: dt.datetime | None = None) -> bytes:
    """The PEM of a CA certificate (or several) to pin, checked: IdentityError says
    what is wrong with the file in one line."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise IdentityError(f"{path}: {exc.strerror}") from None
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise IdentityError(f"{path}: not a certificate in PEM") from None
    moment = now or dt.datetime.now(dt.UTC)
    for certificate in certificates:
        subject = certificate.subject.rfc4514_string()
        try:
            is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            raise IdentityError(
                f"{path}: {subject} is not a CA certificate (give the CA that issued the "
                "backend's certificate, not the certificate itself)"
            )
        if certificate.not_valid_after_utc < moment:
            expired = certificate.not_valid_after_utc
            raise IdentityError(f"{path}: {subject} expired on {expired:%Y-%m-%d}")
    return pem


def ca_path(identity_path: Path) -> Path:
    """Where the pinned CA of this identity file is kept: beside it."""
    return identity_path.with_name(identity_path.stem + ".ca.pem")


def pin_ca(identity_path: Path, pem: bytes) -> Path:
    """Keeps the CA certificate beside the identity file (written whole, then renamed
    into place; 0644: a CA certificate is public)."""
    path = ca_path(identity_path)
    write_whole(path, pem, 0o644)
    return path


@dataclass(frozen=True)
class Identity:
    terminal_id: str
    backend_url: str
    key: PrivateKey  # its suite is the terminal's: its requests are signed in it
    ca_file: Path | None = None  # the pinned police CA; None for http on loopback

    def __post_init__(self) -> None:
        check_backend_url(self.backend_url)
        if needs_ca(self.backend_url) and self.ca_file is None:
            raise InsecureBackend(
                f"{self.backend_url}: https with no pinned CA: enrol again with --ca FILE "
                "(the police CA certificate)"
            )

    @classmethod
    def load(cls, path: Path) -> Identity:
        if not path.exists():
            raise IdentityError(f"{path}: not enrolled (run `kiosk enroll`)")
        if path.stat().st_mode & 0o077:
            raise IdentityError(f"{path}: readable by others; chmod 600")
        from wire import crypto

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            suite = crypto.suite(str(data.get("suite", "intl")))  # none: from before suites
            key = suite.load_private_bytes(bytes.fromhex(data["private_key"]))
            terminal_id, url = str(data["terminal_id"]), str(data["backend_url"])
            ca = data.get("ca_file")  # none before pinning, and for http on loopback
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IdentityError(f"{path}: not a terminal identity file: {exc}") from None
        ca_file = path.parent / str(ca) if ca else None
        if ca_file is not None and not ca_file.is_file():
            raise IdentityError(
                f"{ca_file}: the CA pinned by {path} is missing: enrol again with --ca FILE"
            )
        try:
            return cls(terminal_id, url, key, ca_file)
        except InsecureBackend as exc:
            raise InsecureBackend(f"{path}: {exc}") from None

    def save(self, path: Path) -> None:
        """Written whole, then renamed into place (0600 from the start). The CA file
        is named relative to the identity file's folder when it is in it."""
        from wire import crypto

        raw = crypto.suite(self.key.suite).private_bytes(self.key)
        body = {"terminal_id": self.terminal_id, "backend_url": self.backend_url,
                "suite": self.key.suite, "private_key": raw.hex()}  # fmt: skip
        if self.ca_file is not None:
            beside = self.ca_file.parent.resolve() == path.parent.resolve()
            body["ca_file"] = self.ca_file.name if beside else str(self.ca_file.resolve())
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, json.dumps(body).encode(), 0o600)


def write_whole(path: Path, data: bytes, mode: int) -> None:
    """A reader sees the old file or the new one, never half of one, even after a
    power cut (written, synced, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(path.name + ".new")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(descriptor, mode)  # a file left by an earlier crash keeps its mode otherwise
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(fresh, path)
