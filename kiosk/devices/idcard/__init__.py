"""Second-generation ID-card reader: the GA 467 SAM frame protocol over a serial port.

Read in protocol order: codec (bytes ↔ frames), commands (requests, SW3), parser (pure: the four card
layouts), photo (the vendor's WLT library), reader (the object the flow uses). No UI, no flow.
"""

from kiosk.devices.idcard.codec import FrameDecoder, Response, build_frame, build_request, decode_frame
from kiosk.devices.idcard.parser import CardData, parse_read_data, parse_text
from kiosk.devices.idcard.photo import WltDecoder
from kiosk.devices.idcard.reader import IdCardReader, SamId, probe

__all__ = [
    "CardData",
    "FrameDecoder",
    "IdCardReader",
    "Response",
    "SamId",
    "WltDecoder",
    "build_frame",
    "build_request",
    "decode_frame",
    "parse_read_data",
    "parse_text",
    "probe",
]
