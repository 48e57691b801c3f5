"""Sealed application bundles (format 1, docs/bundle-format.md): encrypted to the township, signed
by the terminal, streamed in authenticated segments.

`seal` writes one; `open_to_folder` verifies and decrypts one; `check_integrity` checks one without
keys. No network and no database here.
"""

from kiosk.bundle.layout import FORMAT, Header, parse_header
from kiosk.bundle.reader import (
    MAX_FILES,
    Opened,
    TrustLookup,
    check_integrity,
    check_signature,
    open_to_folder,
    read_header,
    verify,
)
from kiosk.bundle.sources import Source, from_bytes, from_folder
from kiosk.bundle.writer import SealedBundle, fsync_directory, seal

__all__ = [
    "FORMAT",
    "MAX_FILES",
    "Header",
    "Opened",
    "SealedBundle",
    "Source",
    "TrustLookup",
    "check_integrity",
    "check_signature",
    "from_bytes",
    "from_folder",
    "fsync_directory",
    "open_to_folder",
    "parse_header",
    "read_header",
    "seal",
    "verify",
]
