"""One material's pages as a multi-page PDF: each page image at its real size (from its dpi), the
JPEG embedded as it is (no second compression).

Pure: bytes in, bytes out. The page images carry no text, so no font is needed here.
"""

from __future__ import annotations

import io

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

UNKNOWN_DPI = 200  # pages whose real size is unknown are laid out as if scanned at this resolution


def material_pdf(pages: list[bytes], title: str = "") -> bytes:
    """A PDF with one page per JPEG, each sized from the dpi in its JFIF header."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pageCompression=1)
    pdf.setTitle(title)
    pdf.setCreator("kiosk")
    for jpeg in pages:
        with Image.open(io.BytesIO(jpeg)) as image:
            width_px, height_px = image.size
            dpi = round(image.info.get("dpi", (0, 0))[0]) or UNKNOWN_DPI
        width_pt, height_pt = width_px / dpi * 72, height_px / dpi * 72
        pdf.setPageSize((width_pt, height_pt))
        pdf.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, width_pt, height_pt)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
