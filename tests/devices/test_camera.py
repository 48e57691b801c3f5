"""The capture path with the virtual camera (a folder of frames): the real driver code reads files."""

import cv2
import numpy as np
import pytest

from kiosk.devices import camera as camera_module
from kiosk.devices.camera import DocumentCamera
from kiosk.errors import CameraError
from kiosk.imaging import detect, pages
from kiosk.sim.camera import VirtualMat, corners_for


@pytest.mark.parametrize("size", ["a4", "booklet", "id"])
def test_page_is_found_and_corrected_to_its_real_proportions(tmp_path, size):
    mat = VirtualMat(tmp_path)
    size_mm = pages.paper_size_mm(size)
    mat.place_document("户口簿", ["姓名：王建国"], size_mm)
    frame = DocumentCamera(str(tmp_path)).still()
    corners = detect.find_page(frame)
    assert corners is not None
    assert np.abs(corners - corners_for(size_mm)).max() < 6  # pixels in a 4160-wide frame
    result = pages.correct(frame, corners, size_mm)
    height, width = result.image.shape[:2]
    assert abs(width / height - size_mm[0] / size_mm[1]) < 0.02
    assert result.dpi >= 200 and "too_small" not in result.warnings


def test_the_newest_frame_is_what_lies_on_the_mat(tmp_path):
    mat = VirtualMat(tmp_path)
    mat.place_document("第一页", [], pages.paper_size_mm("a4"))
    camera = DocumentCamera(str(tmp_path))
    first = camera.still()
    mat.place_document("第二页", [], pages.paper_size_mm("id"))
    assert not np.array_equal(first, camera.still())


def test_the_preview_is_decoded_at_a_quarter_and_the_still_keeps_the_cameras_own_jpeg(tmp_path):
    placed = VirtualMat(tmp_path).place_document("证明", [], pages.paper_size_mm("a4"))
    camera = DocumentCamera(str(tmp_path))
    assert camera.preview().shape == (780, 1040, 3)
    still = camera.capture()
    assert still.decode().shape == (3120, 4160, 3)
    assert still.jpeg == placed.read_bytes()


def test_empty_mat_has_no_page(tmp_path):
    VirtualMat(tmp_path).clear()
    assert detect.find_page(DocumentCamera(str(tmp_path)).still()) is None


def test_jpeg_carries_its_dpi():
    for image in (np.full((100, 80, 3), 255, np.uint8), np.full((100, 80), 200, np.uint8)):
        data = pages.encode_jpeg(image, 254)
        assert data[:2] == b"\xff\xd8"
        assert data[13:18] == bytes([1, 0, 254, 0, 254])  # JFIF density: dots per inch, 254 x 254
        assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).shape == image.shape


def test_missing_camera_is_a_typed_error(tmp_path):
    with pytest.raises(CameraError) as caught:
        DocumentCamera(str(tmp_path / "nothing")).still()
    assert caught.value.code == "CAMERA_NO_CAMERA"


def test_an_unplugged_camera_comes_back_by_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(camera_module, "REOPEN_AFTER_S", 0.0)
    folder = tmp_path / "camera"
    mat = VirtualMat(folder)
    mat.clear()
    camera = DocumentCamera(str(folder))
    camera.preview()
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()  # unplugged
    with pytest.raises(CameraError):
        camera.preview()
    VirtualMat(folder).place_document("证明", [], pages.paper_size_mm("a5"))  # plugged in again
    assert detect.find_page(camera.preview()) is not None
