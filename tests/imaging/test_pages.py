"""A captured page: corrected, turned upright, checked, encoded; codes; the material PDF."""

import io
import weakref

import cv2
import numpy as np
import pytest
import zxingcpp
from PIL import Image

from kiosk.devices.camera import Frame
from kiosk.imaging import detect, pages
from kiosk.imaging.codes import read_codes
from kiosk.imaging.pdf import material_pdf
from kiosk.sim import camera as sim


def frame_with(kind: str, angle: float = 3.0, mat: str = "grey", size=sim.FRAME_SIZE, blur: float = 1.0):
    page, size_mm = sim.document(kind, 0)
    scale = size[0] / sim.FRAME_SIZE[0]
    frame = sim.mat(mat, np.random.default_rng(5), size)
    corners = sim.corners_for(size_mm, angle, px_per_mm=sim.PX_PER_MM * scale, frame_size=size)
    sim.lay(frame, page, corners)
    return sim.camera_model(frame, blur), corners, size_mm


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_a_page_lying_any_way_round_comes_out_upright(angle):
    frame, _, size_mm = frame_with("letter", angle + 4)
    result = pages.capture(frame, size_mm)
    assert result is not None and result.turned == angle
    assert ("rotated" in result.warnings) == (angle != 0)
    assert result.image.shape[0] > result.image.shape[1]  # portrait, as the letter is
    title = cv2.cvtColor(result.image[: result.image.shape[0] // 8], cv2.COLOR_BGR2GRAY)
    assert (title < 100).mean() > 0.002  # the title is at the top


def as_camera_jpeg(frame: np.ndarray) -> Frame:
    return Frame(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())


def test_a_still_follows_the_page_from_the_preview_and_searches_when_it_has_moved():
    image, _, size_mm = frame_with("form", 5)
    still = as_camera_jpeg(image)
    preview = still.decode(4)
    seen = detect.detect(preview).corners
    followed = pages.capture(still.decode(), size_mm, near=(seen, preview.shape[1]))
    whole = pages.capture(still.decode(), size_mm)
    assert "cut_off" not in whole.warnings
    assert np.abs(followed.corners - whole.corners).max() < 3  # pixels of 4160: within a line of print
    moved = (seen + np.float32([150, 80]), preview.shape[1])  # the page was pushed after the last preview
    searched = pages.capture(still.decode(), size_mm, near=moved)
    assert np.abs(searched.corners - whole.corners).max() < 3


def test_a_sharp_page_has_no_warnings_and_a_blurred_one_is_called_blurred():
    frame, _, size_mm = frame_with("form")
    sharp = pages.capture(frame, size_mm)
    assert sharp is not None and sharp.warnings == [] and sharp.dpi >= 200
    blurred = pages.capture(cv2.GaussianBlur(frame, (0, 0), 7), size_mm)
    assert blurred is not None and "blur" in blurred.warnings


def test_the_frame_is_let_go_before_the_page_is_checked(monkeypatch):
    """A 13 MP frame is 37 MB: passed as the only reference, it is gone before the checks run."""
    frame, _, size_mm = frame_with("form")
    held = weakref.ref(frame)
    seen_while_checking = []
    measure = pages.sharpness
    monkeypatch.setattr(pages, "sharpness", lambda *a: seen_while_checking.append(held()) or measure(*a))
    frames = [frame]
    del frame
    result = pages.capture(frames.pop(), size_mm)
    assert result is not None and result.warnings == []
    assert seen_while_checking == [None]


def test_a_reflection_on_a_card_is_glare():
    frame, corners, size_mm = frame_with("idcard", mat="dark")
    sim.glare(frame, tuple(corners.mean(axis=0)), 200, on=corners)
    result = pages.capture(frame, size_mm)
    assert result is not None and "glare" in result.warnings


def test_a_page_from_a_5_megapixel_camera_is_too_small_for_200_dpi():
    frame, _, size_mm = frame_with("form", size=(2592, 1944))
    result = pages.capture(frame, size_mm)
    assert result is not None and "too_small" in result.warnings and result.dpi < 200


def test_a_page_running_off_the_view_is_cut_off():
    page, size_mm = sim.document("form", 0)
    frame = sim.mat("dark", np.random.default_rng(1))
    corners = sim.corners_for(size_mm, 2) + np.float32([1300, 0])
    sim.lay(frame, page, corners)
    result = pages.capture(sim.camera_model(frame), size_mm)
    assert result is not None and "cut_off" in result.warnings


def test_the_photocopy_look_is_grey_with_an_even_white_background():
    frame, _, size_mm = frame_with("hukou", mat="dark")
    frame = (frame * np.linspace(0.6, 1.0, frame.shape[1])[None, :, None]).astype(np.uint8)  # uneven light
    result = pages.capture(frame, size_mm)
    look = pages.document_look(result.image)
    assert look.ndim == 2
    h, w = look.shape
    left, right = look[h // 3 : 2 * h // 3, w // 10 : w // 5], look[h // 3 : 2 * h // 3, -w // 5 : -w // 10]
    assert abs(float(np.median(left)) - float(np.median(right))) < 12 and np.median(left) > 230


def test_the_receipt_qr_code_is_read_from_a_full_frame():
    frame, _, _ = frame_with("receipt", 30)
    codes = read_codes(frame, qr_only=True)
    assert [c.data for c in codes] == ["https://zwfw.example.gov.cn/status/000126112800019"]


def test_a_barcode_on_a_page_is_read():
    page = np.full((900, 1300, 3), 245, np.uint8)
    bars = zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode("522731195001011234", zxingcpp.BarcodeFormat.Code128), scale=3
    )
    bars = np.asarray(bars)
    page[300 : 300 + bars.shape[0], 200 : 200 + bars.shape[1]] = bars[:, :, None]
    frame = sim.mat("dark", np.random.default_rng(2))
    sim.lay(frame, page, sim.corners_for((130, 90), 5))
    codes = read_codes(sim.camera_model(frame))
    assert [(c.type, c.data) for c in codes] == [("Code128", "522731195001011234")]


def test_a_materials_pages_become_one_pdf_at_their_real_sizes():
    a4 = pages.encode_jpeg(np.full((1754, 1240, 3), 230, np.uint8), 150)
    card = pages.encode_jpeg(np.full((638, 1011), 200, np.uint8), 300)
    pdf = material_pdf([a4, card], "户口簿")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 0
    sizes = [tuple(round(float(v)) for v in box.split()) for box in _media_boxes(pdf)]
    assert sizes == [(0, 0, 595, 842), (0, 0, 243, 153)]  # A4 and an ID card, in points


def _media_boxes(pdf: bytes) -> list[str]:
    import re

    return [m.decode() for m in re.findall(rb"/MediaBox \[\s*([^\]]+?)\s*\]", pdf)]


@pytest.mark.parametrize(
    "text,expected", [("a4", (210.0, 297.0)), ("ID", (85.6, 54.0)), ("100x150mm", (100.0, 150.0))]
)
def test_paper_sizes_by_name_or_millimetres(text, expected):
    assert pages.paper_size_mm(text) == expected


@pytest.mark.parametrize("text", ["b5", "0x10mm", "10x", ""])
def test_an_unknown_paper_size_is_refused(text):
    with pytest.raises(ValueError):
        pages.paper_size_mm(text)


def test_the_jpeg_of_a_page_opens_with_its_dpi():
    data = pages.encode_jpeg(np.zeros((50, 40, 3), np.uint8), 251)
    with Image.open(io.BytesIO(data)) as image:
        assert image.info["dpi"] == (251, 251)
