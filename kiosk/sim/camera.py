"""The virtual document camera: synthetic documents laid on a mat under the camera's light, written as
image files into the folder that the camera driver reads (the newest image is what lies on the mat).

Scene pieces (mats, documents, shadows, fingers, glare, the camera's blur and noise) are public so
that the labelled test set and the screenshots build their frames from the same parts. No detection.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import cv2
import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from kiosk import fonts

FRAME_SIZE = (4160, 3120)  # 13 MP, 4:3, as common 高拍仪 modules
PX_PER_MM = 9.9  # a 13 MP camera framing a 420 x 315 mm mat
PAGE_PX_PER_MM = 6  # documents are drawn at this scale, then warped onto the frame

MAT_BGR = (60, 62, 58)
MATS = {  # style: base colour (BGR); the light ones are where a plain threshold or edge finder fails
    "dark": (60, 62, 58),
    "green": (70, 110, 40),
    "grey": (128, 130, 126),
    "light": (208, 212, 210),
    "white": (226, 228, 228),
    "grid": (196, 200, 198),
    "wood": (92, 128, 168),
    "clutter": (110, 115, 120),
}
SKIN_BGR = (120, 152, 205)

BODY_TEXT = [
    "姓名：王建国　性别：男　民族：汉",
    "住址：贵州省惠水县示例镇示例村三组18号",
    "公民身份号码：522731195001011234",
    "兹证明该同志系我村常住居民，情况属实。",
    "本证明仅用于办理相关事项，复印无效。",
    "联系电话：0854-0000000",
    "示例县示例镇人民政府（示例材料）",
    "二〇二六年十一月二十八日",
]


# --- documents ---


def page_image(
    title: str,
    lines: list[str],
    size_mm: tuple[float, float] = (210, 297),
    px_per_mm: float = PAGE_PX_PER_MM,
    paper_bgr: tuple[int, int, int] = (246, 250, 250),
    border: bool = True,
    ink_bgr: tuple[int, int, int] = (35, 35, 35),
) -> np.ndarray:
    """A page of `size_mm` with a title and lines of Chinese text, as a BGR array."""
    size_px = (round(size_mm[0] * px_per_mm), round(size_mm[1] * px_per_mm))
    page = Image.new("RGB", size_px, paper_bgr[::-1])
    draw = ImageDraw.Draw(page)
    font_path = fonts.truetype_cjk()
    unit = min(size_px) / 20
    title_font = ImageFont.truetype(font_path, round(unit * 1.3))
    body_font = ImageFont.truetype(font_path, round(unit * 0.7))
    draw.text((size_px[0] // 2, round(unit * 1.5)), title, font=title_font, fill=ink_bgr[::-1], anchor="mt")
    y = round(unit * 4)
    for line in lines:
        if y > size_px[1] - unit * 2:
            break
        draw.text((round(unit * 1.2), y), line, font=body_font, fill=ink_bgr[::-1])
        y += round(unit * 1.3)
    if border:
        margin = round(unit * 0.6)
        draw.rectangle(
            [margin, margin, size_px[0] - margin, size_px[1] - margin], outline=(90, 90, 90), width=3
        )
    return cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR)


def with_qr(page: np.ndarray, data: str, module_mm: float = 0.5, at: str = "bottom-right") -> np.ndarray:
    """The page with a QR code printed at one corner (certificates, receipts)."""
    qr = segno.make_qr(data, error="m")
    modules = np.array([[0 if dark else 255 for dark in row] for row in qr.matrix], np.uint8)
    side = round(modules.shape[0] * module_mm * PAGE_PX_PER_MM)
    image = cv2.resize(
        cv2.copyMakeBorder(modules, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=255),
        (side, side),
        interpolation=cv2.INTER_NEAREST,
    )
    out = page.copy()
    margin = round(6 * PAGE_PX_PER_MM)
    h, w = out.shape[:2]
    y = h - side - margin if "bottom" in at else margin
    x = w - side - margin if "right" in at else (w - side) // 2 if "centre" in at else margin
    paper = np.median(page.reshape(-1, 3), axis=0)
    out[y : y + side, x : x + side] = np.where(image[:, :, None] > 0, paper, 25).astype(np.uint8)
    return out


def _red_seal(page: np.ndarray, centre: tuple[int, int], radius: int) -> None:
    cv2.circle(page, centre, radius, (40, 40, 200), max(3, radius // 12), cv2.LINE_AA)
    cv2.circle(page, centre, radius // 4, (40, 40, 200), -1, cv2.LINE_AA)


@functools.cache
def document(kind: str, variant: int = 0) -> tuple[np.ndarray, tuple[float, float]]:
    """A synthetic document of one kind as it lies flat (BGR at 6 px/mm), and its size in mm.

    Kinds: form (A4), letter (A4 or A5, no printed frame), notice (A5), certificate (A4, red title, seal, QR), hukou (booklet page, tinted), idcard,
    bankbook (closed, coloured cover), booklet (an open booklet: two pages and the fold), receipt.
    """
    lines = BODY_TEXT[variant % 3 :] + BODY_TEXT * 3
    if kind == "form":
        page = page_image("居住证明" if variant % 2 else "申请表", lines, (210, 297))
        for row in range(6):  # a table
            y = 1100 + row * 70
            cv2.line(page, (90, y), (1170, y), (60, 60, 60), 2)
        for x in (90, 400, 800, 1170):
            cv2.line(page, (x, 1100), (x, 1450), (60, 60, 60), 2)
        return page, (210, 297)
    if kind == "letter":  # plain white paper, no printed frame: A4, or A5 for odd variants
        size = (148, 210) if variant % 2 else (210, 297)
        return page_image("情况说明", lines, size, border=False), size
    if kind == "notice":
        return page_image("告知书", lines, (148, 210), border=variant % 2 == 0), (148, 210)
    if kind == "certificate":
        page = page_image("证明", lines, (210, 297), paper_bgr=(240, 246, 250), border=False)
        cv2.rectangle(page, (60, 60), (1200, 1722), (40, 40, 190), 8)
        _red_seal(page, (900, 1450), 130)
        return with_qr(page, f"https://zwfw.example.gov.cn/verify/{variant:06d}", at="bottom-left"), (
            210,
            297,
        )
    if kind == "hukou":
        page = page_image("常住人口登记卡", lines, (125, 176), paper_bgr=(238, 228, 214))
        for row in range(12):
            y = 160 + row * 70
            cv2.line(page, (30, y), (720, y), (150, 120, 90), 2)
        return page, (125, 176)
    if kind == "idcard":
        card = page_image(
            "",
            ["姓名　王建国", "性别　男　民族　汉", "住址　贵州省惠水县", "示例镇示例村"],
            (85.6, 54),
            paper_bgr=(232, 226, 214),
            border=False,
        )
        cv2.rectangle(card, (350, 60), (490, 240), (200, 190, 170), -1)  # the photo area
        return card, (85.6, 54)
    if kind == "bankbook":
        colour = (40, 40, 150) if variant % 2 else (60, 110, 30)
        cover = page_image(
            "储蓄存折", ["", "", "示例银行"], (90, 135), paper_bgr=colour, ink_bgr=(80, 200, 230)
        )
        return cover, (90, 135)
    if kind == "booklet":
        left, _ = document("hukou", variant)
        right = page_image("户主页", lines, (125, 176), paper_bgr=(238, 228, 214))
        spread = np.hstack([left, right])
        fold = spread.shape[1] // 2
        ramp = 1 - 0.3 * np.exp(-(((np.arange(spread.shape[1]) - fold) / 14.0) ** 2))
        return (spread * ramp[None, :, None]).astype(np.uint8), (250, 176)
    if kind == "receipt":
        slip = page_image(
            "受理回执",
            ["受理编号：000126112800019", "事项：老年人优待证办理", "扫码查询办理进度"],
            (80, 150),
            paper_bgr=(240, 242, 242),
            border=False,
        )
        return with_qr(slip, "https://zwfw.example.gov.cn/status/000126112800019", 0.6, at="bottom-centre"), (
            80,
            150,
        )
    raise ValueError(f"unknown document kind {kind!r}")


# --- the scene ---


def _noise_tile() -> np.ndarray:
    return np.random.default_rng(7).integers(-4, 5, (512, 512, 3), dtype=np.int16).astype(np.int8)


@functools.cache
def mat_background(mat_bgr: tuple[int, int, int], size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """A plain mat with a little sensor noise."""
    w, h = size
    reps = (h // 512 + 1, w // 512 + 1, 1)
    noise = np.tile(_noise_tile(), reps)[:h, :w].astype(np.int16)
    return np.clip(np.array(mat_bgr, np.int16) + noise, 0, 255).astype(np.uint8)


def mat(style: str, rng: np.random.Generator, size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """An empty mat of one style (see MATS), with its own pattern where it has one."""
    w, h = size
    base = np.array(MATS[style], np.float32) + rng.uniform(-8, 8, 3)
    frame = np.empty((h, w, 3), np.uint8)
    frame[:] = np.clip(base, 0, 255).astype(np.uint8)
    if style == "grid":  # a printed ruler grid, as many 高拍仪 mats have
        step = round(10 * PX_PER_MM * w / FRAME_SIZE[0])
        colour = tuple(int(c) - 45 for c in frame[0, 0])
        for x in range(step // 2, w, step):
            cv2.line(frame, (x, 0), (x, h), colour, 2)
        for y in range(step // 2, h, step):
            cv2.line(frame, (0, y), (w, y), colour, 2)
    elif style == "wood":
        grain = rng.normal(0, 1, (8, 64)).astype(np.float32)
        grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_CUBIC) * 10
        frame = np.clip(frame + grain[:, :, None], 0, 255).astype(np.uint8)
    elif style == "clutter":
        _clutter(frame, rng)
    return frame


def _clutter(frame: np.ndarray, rng: np.random.Generator) -> None:
    h, w = frame.shape[:2]
    low = cv2.resize(rng.uniform(60, 170, (6, 8, 3)).astype(np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)
    frame[:] = low
    for _ in range(40):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        size = rng.integers(40, 500, 2)
        colour = tuple(int(c) for c in rng.integers(20, 200, 3))
        cv2.rectangle(frame, (x, y), (x + int(size[0]), y + int(size[1])), colour, -1)
    for _ in range(30):
        p = rng.integers(0, (w, h), 2)
        q = rng.integers(0, (w, h), 2)
        cv2.line(
            frame,
            tuple(int(v) for v in p),
            tuple(int(v) for v in q),
            tuple(int(c) for c in rng.integers(0, 255, 3)),
            int(rng.integers(2, 10)),
        )
    for _ in range(15):
        org = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.putText(frame, "clutter TEXT", org, cv2.FONT_HERSHEY_SIMPLEX, 3, (235, 235, 235), 8)


def corners_for(
    size_mm: tuple[float, float],
    angle_deg: float = 3.0,
    centre: tuple[float, float] | None = None,
    px_per_mm: float = PX_PER_MM,
    frame_size: tuple[int, int] = FRAME_SIZE,
) -> np.ndarray:
    """Where a document of `size_mm` lies: turned by `angle_deg` about `centre` (default: the frame's
    centre), clockwise from its own top-left, in frame pixels."""
    w, h = size_mm[0] * px_per_mm / 2, size_mm[1] * px_per_mm / 2
    box = np.array([[-w, -h], [w, -h], [w, h], [-w, h]])
    a = np.radians(angle_deg)
    turned = box @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    return (turned + np.array(centre if centre is not None else np.array(frame_size) / 2)).astype(np.float32)


def lay(frame: np.ndarray, page: np.ndarray, corners: np.ndarray) -> None:
    """Warp `page` onto `frame` (in place) so that its corners land on `corners`, edges antialiased."""
    h, w = frame.shape[:2]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    ph, pw = page.shape[:2]
    source = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32) - 0.5
    matrix = cv2.getPerspectiveTransform(source, (corners - np.array([x0, y0])).astype(np.float32) - 0.5)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, size, flags=cv2.INTER_LINEAR)
    roi = frame[y0:y1, x0:x1]
    a = alpha.astype(np.float32)[:, :, None] / 255
    roi[:] = (warped * a + roi * (1 - a)).astype(np.uint8)


def shade(frame: np.ndarray, rng: np.random.Generator, darkest: float = 0.45) -> None:
    """Uneven light (in place): a ramp across the frame times a soft shadow cast by a head or an arm."""
    h, w = frame.shape[:2]
    small = (64, 48)
    yy, xx = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(a) * xx / small[0] + np.sin(a) * yy / small[1]
    ramp = 1 - rng.uniform(0.05, 0.3) * (ramp - ramp.min()) / np.ptp(ramp)
    cx, cy = rng.uniform(0, small[0]), rng.uniform(0, small[1])
    rx, ry = rng.uniform(8, 30, 2)
    blob = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
    shadow = 1 - (1 - darkest) * np.clip(1.5 - blob, 0, 1)
    gain = cv2.resize(
        np.clip(ramp * shadow * 255, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_CUBIC
    )
    cv2.multiply(frame, cv2.merge([gain, gain, gain]), frame, scale=1 / 255)


def finger(frame: np.ndarray, tip: tuple[float, float], angle_deg: float, width_px: float) -> None:
    """A finger (and the hand behind it) reaching to `tip` from direction `angle_deg`, in place."""
    a = np.radians(angle_deg)
    direction = np.array([np.cos(a), np.sin(a)])
    length = width_px * 6
    centre = np.array(tip) - direction * length / 2
    colour = SKIN_BGR
    cv2.ellipse(
        frame,
        (round(centre[0]), round(centre[1])),
        (round(length / 2), round(width_px / 2)),
        angle_deg,
        0,
        360,
        colour,
        -1,
        cv2.LINE_AA,
    )
    palm = np.array(tip) - direction * (length + width_px * 2)
    cv2.ellipse(
        frame,
        (round(palm[0]), round(palm[1])),
        (round(width_px * 3), round(width_px * 2.5)),
        angle_deg,
        0,
        360,
        colour,
        -1,
        cv2.LINE_AA,
    )
    nail = np.array(tip) - direction * width_px * 0.6
    cv2.ellipse(
        frame,
        (round(nail[0]), round(nail[1])),
        (round(width_px * 0.4), round(width_px * 0.3)),
        angle_deg,
        0,
        360,
        (170, 190, 225),
        -1,
        cv2.LINE_AA,
    )


def glare(
    frame: np.ndarray, centre: tuple[float, float], radius: float, on: np.ndarray | None = None
) -> None:
    """A blown highlight from the camera's LED on a glossy document (in place), only inside the
    polygon `on` when given (the mat around a laminated card is matte)."""
    h, w = frame.shape[:2]
    r = round(radius * 2)
    x0, y0 = max(round(centre[0]) - r, 0), max(round(centre[1]) - r, 0)
    x1, y1 = min(round(centre[0]) + r, w), min(round(centre[1]) + r, h)
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    bump = np.exp(-(((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * (radius / 2) ** 2))) * 400
    if on is not None:
        inside = np.zeros(bump.shape, np.uint8)
        cv2.fillConvexPoly(inside, np.round(on - (x0, y0)).astype(np.int32), 1, cv2.LINE_AA)
        bump *= inside
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(roi + bump[:, :, None], 0, 255).astype(np.uint8)


def camera_model(frame: np.ndarray, blur_sigma: float = 1.0) -> np.ndarray:
    """The lens's blur and the sensor's noise."""
    out = cv2.GaussianBlur(frame, (0, 0), blur_sigma) if blur_sigma > 0 else frame
    h, w = out.shape[:2]
    noise = np.tile(_noise_tile(), (h // 512 + 1, w // 512 + 1, 1))[:h, :w]
    return np.clip(out.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def on_mat(page: np.ndarray, corners: np.ndarray, mat_bgr: tuple[int, int, int] = MAT_BGR) -> np.ndarray:
    """The page laid onto a plain mat at `corners` (clockwise from top-left, frame pixels)."""
    frame = mat_background(mat_bgr).copy()
    lay(frame, page, corners)
    return frame


class VirtualMat:
    """Places frames into the camera folder, atomically, newest last."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def place(self, frame: np.ndarray) -> Path:
        self.count += 1
        target = self.folder / f"frame-{self.count:04d}.jpg"
        tmp = self.folder / f".frame-{self.count:04d}.tmp.jpg"
        cv2.imwrite(str(tmp), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        os.replace(tmp, target)
        stamp = time.time_ns()
        os.utime(target, ns=(stamp, stamp))
        return target

    def place_document(self, title: str, lines: list[str], size_mm: tuple[float, float] = (210, 297)) -> Path:
        return self.place(on_mat(page_image(title, lines, size_mm), corners_for(size_mm)))

    def clear(self, mat_bgr: tuple[int, int, int] = MAT_BGR) -> Path:
        """Nothing on the mat."""
        return self.place(mat_background(mat_bgr))
