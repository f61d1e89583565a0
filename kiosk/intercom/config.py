"""`[help]`: where 求助's video call goes, and how the booth's SIP phone is set up."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# a SIP address a person writes: sip:user@host[:port][;params] (sips: for TLS)
SIP_ADDRESS = r"^sips?:[A-Za-z0-9._~%!$&'()*+=-]+@[A-Za-z0-9.:\[\]-]+(;[A-Za-z0-9=._-]+)*$"
SIP_HOST_URI = r"^sips?:([A-Za-z0-9._~%-]+@)?[A-Za-z0-9.:\[\]-]+(;[A-Za-z0-9=._-]+)*$"
# a baresip media device: module[,device] ("alsa,default", "v4l2,/dev/video1", "ausine,440")
MEDIA_DEVICE = r"^[a-z0-9_]+(,[^\s,]+)?$"


class HelpSection(BaseModel):
    """The help intercom (kiosk/intercom): no `sip_uri`, no call; the help request
    still goes to the backend and the screen still gives the phone number."""

    model_config = ConfigDict(extra="forbid")

    sip_uri: str | None = Field(
        None, pattern=SIP_ADDRESS,
        description="the duty room's SIP address, e.g. sip:duty@10.20.0.5 (none: no video call)",
    )  # fmt: skip
    sip_account: str | None = Field(
        None, pattern=SIP_ADDRESS,
        description="the booth's own SIP address (its account), e.g. sip:booth-17@10.20.0.5; "
        "its host is the registrar when `sip_register` is on",
    )  # fmt: skip
    sip_password: str = Field(
        "", max_length=128, pattern=r"^[^\s;<>\"]*$",
        description="the account's digest password (empty: none)",
    )  # fmt: skip
    sip_register: bool = Field(False, description="register the account with its host (registrar)")
    sip_proxy: str | None = Field(
        None, pattern=SIP_HOST_URI,
        description="an outbound proxy, e.g. sip:10.20.0.5;transport=tcp",
    )  # fmt: skip
    sip_listen: str = Field(
        "0.0.0.0:5060", pattern=r"^[0-9.]+:[0-9]{1,5}$",
        description="address:port the booth's SIP phone listens on (port 0: any free one)",
    )  # fmt: skip
    media_address: str | None = Field(
        None, pattern=r"^[0-9.]+$",
        description="the local IPv4 address put in the calls' SDP (none: baresip's choice)",
    )  # fmt: skip
    connect_timeout_s: float = Field(
        8.0, ge=1, le=60, description="nothing heard from the duty room this long: unreachable"
    )
    ring_timeout_s: float = Field(
        45.0, ge=1, le=300, description="ringing this long and nobody answered: no answer"
    )
    audio_source: str = Field("alsa,default", pattern=MEDIA_DEVICE, description="the microphone")
    audio_player: str = Field("alsa,default", pattern=MEDIA_DEVICE, description="the speaker")
    video_source: str | None = Field(
        "v4l2,/dev/video1", pattern=MEDIA_DEVICE,
        description="the intercom camera (not the photo camera); none: a voice call",
    )  # fmt: skip
    video_size: str = Field("352x288", pattern=r"^[0-9]{2,4}x[0-9]{2,4}$")
    video_fps: int = Field(15, ge=1, le=30)
    baresip: Path = Field(Path("/usr/bin/baresip"), description="the SIP stack (Debian's baresip)")
    modules: Path = Field(Path("/usr/lib/baresip/modules"), description="baresip's modules")

    @model_validator(mode="after")
    def _account_for_a_call(self) -> Self:
        if self.sip_uri is not None and self.sip_account is None:
            raise ValueError("help.sip_uri needs help.sip_account (the booth's own SIP address)")
        if self.sip_register and self.sip_account is None:
            raise ValueError("help.sip_register needs help.sip_account (what to register)")
        return self
