"""Which way up a corrected page is: a four-way classifier (0/90/180/270) run with OpenCV's DNN module
on the model file shipped in `kiosk/imaging/models/` (see its README for origin and licence).

Pure inference on numpy images; never downloads anything, never touches a device.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

MODEL = Path(__file__).parent / "models" / "text_orientation.onnx"
TURNS = (0, 90, 180, 270)  # the model's classes: how far the content is turned clockwise
CROP = 224
TEXT_HEIGHT_PX = 26  # crops are taken where body text is about this tall, as in the model's training
MAX_DARK = 0.25  # share of a crop: darker than this is a picture or a code, not text
SURE = 0.9  # a single crop's probability above which the others are not asked
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


_running = threading.Lock()  # one network at a time: pages are judged one after another


def _network() -> cv2.dnn.Net:
    """OpenCV's DNN module gives onnxruntime's probabilities (to 1e-6 on the test pages) in about
    45 MB less memory, and cv2 is loaded anyway. Loaded for each page and let go after it: about
    50 ms a page, and some 16 MB (weights and inference buffers) not held between captures, when
    the next frame is decoded (docs/ui.md, "Memory")."""
    return cv2.dnn.readNetFromONNX(str(MODEL))


def clockwise_turn(page: np.ndarray, dpi: int = 0) -> int:
    """How far (0, 90, 180 or 270 degrees) the page's content is turned clockwise.

    The page is scaled so that ordinary print (about 3.5 mm) is TEXT_HEIGHT_PX tall, or to a width of
    600 px when its dpi is unknown; of up to three inked crops the most confident decides. Paint
    codes out first: a QR code has no way up and can mislead the model.
    """
    scale = (TEXT_HEIGHT_PX / (3.5 / 25.4 * dpi)) if dpi else 600 / max(page.shape[:2])
    scale = min(scale, 1.0)
    small = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    best = np.zeros(len(TURNS), np.float32)
    with _running:
        network = _network()
        for crop in _inked_crops(small):  # the most confident crop decides; a sure one ends the search
            probabilities = _classify(network, crop)
            if probabilities.max() > best.max():
                best = probabilities
            if best.max() >= SURE:
                break
    return TURNS[int(np.argmax(best))]


def _classify(network: cv2.dnn.Net, crop: np.ndarray) -> np.ndarray:
    """The model's probability for each turn."""
    rgb = (cv2.cvtColor(crop, cv2.COLOR_BGR2RGB) / 255.0 - MEAN) / STD
    network.setInput(rgb.transpose(2, 0, 1)[None].astype(np.float32))
    return network.forward()[0]


def upright(page: np.ndarray, turn: int) -> np.ndarray:
    """The page turned back by `turn` degrees (counter-clockwise)."""
    codes = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    return page if turn == 0 else cv2.rotate(page, codes[turn])


def _inked_crops(page: np.ndarray, count: int = 3) -> list[np.ndarray]:
    """Up to `count` CROP x CROP squares holding the most dark print (padded when the page is small)."""
    h, w = page.shape[:2]
    if h < CROP or w < CROP:
        page = cv2.copyMakeBorder(page, 0, max(0, CROP - h), 0, max(0, CROP - w), cv2.BORDER_REPLICATE)
        h, w = page.shape[:2]
    f = 4  # the ink map is made at a quarter of the size
    grey = cv2.resize(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), (w // f, h // f), interpolation=cv2.INTER_AREA)
    background = cv2.GaussianBlur(grey, (0, 0), 4).astype(np.int16)
    ink = cv2.integral((grey.astype(np.int16) < background - 20).astype(np.uint8))
    step, cell = CROP // 2, CROP // f
    spots = [(y, x) for y in range(0, h - CROP + 1, step) for x in range(0, w - CROP + 1, step)]
    totals = [
        ink[y // f + cell, x // f + cell]
        - ink[y // f, x // f + cell]
        - ink[y // f + cell, x // f]
        + ink[y // f, x // f]
        for y, x in spots
    ]
    crops = []
    for i in np.argsort(totals)[::-1]:
        y, x = spots[i]
        crop = page[y : y + CROP, x : x + CROP]
        if np.mean(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) < 100) < MAX_DARK:  # a photo, not text
            crops.append(crop)
        if len(crops) == count:
            break
    return crops or [page[:CROP, :CROP]]
