"""QR codes and barcodes on documents and receipts, read with zxing-cpp.

Pure decoding of numpy images. Wide images are read on a half-size copy first and at full size only
when that finds nothing; the receipt QR of the status screen is read QR-only, which zxing-cpp does
in about 12 ms on a full 12 MP frame (pyzbar: about 0.3 s, 1 s when there is no code).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

FULL_SCAN_WIDTH = 2100  # wider images are first read at half size
QR = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode")
ALL = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode,DataMatrix,PDF417,AllLinear")


@dataclass
class Code:
    type: str  # "QRCode", "Code128", "EAN13", …
    data: str
    corners: np.ndarray  # 4 x 2, in the image's pixels

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "data": self.data}


def read_codes(image: np.ndarray, qr_only: bool = False) -> list[Code]:
    """Every code found in a BGR or grey image, each once."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    formats = QR if qr_only else ALL
    found: list[Code] = []
    if grey.shape[1] > FULL_SCAN_WIDTH:
        half = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        found = _decode(half, formats, scale=2.0)
        if not found:  # fine modules and bars need every pixel
            found = _decode(grey, formats, scale=1.0)
    else:
        found = _decode(grey, formats, scale=1.0)
    unique: dict[tuple[str, str], Code] = {}
    for code in found:
        unique.setdefault((code.type, code.data), code)
    return list(unique.values())


def _decode(grey: np.ndarray, formats: zxingcpp.BarcodeFormats, scale: float) -> list[Code]:
    codes = []
    for result in zxingcpp.read_barcodes(grey, formats=formats, try_downscale=False):
        p = result.position
        corners = np.array(
            [
                [p.top_left.x, p.top_left.y],
                [p.top_right.x, p.top_right.y],
                [p.bottom_right.x, p.bottom_right.y],
                [p.bottom_left.x, p.bottom_left.y],
            ],
            np.float32,
        )
        codes.append(Code(result.format.name, result.text, corners * scale))
    return codes
