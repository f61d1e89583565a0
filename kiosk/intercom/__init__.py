"""The help intercom: 求助 also calls the duty room by video, over SIP, through
Debian's baresip run as the booth's own phone (docs/devices.md, "Help intercom")."""

from kiosk.intercom.baresip import SipStackError
from kiosk.intercom.call import LIVE, CallState, Intercom
from kiosk.intercom.config import HelpSection

__all__ = ["LIVE", "CallState", "HelpSection", "Intercom", "SipStackError"]
