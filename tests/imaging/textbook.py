"""The textbook page detector (Canny → largest contour → 4-point approxPolyDP), as measured in the
research notes: the baseline that shows the synthetic set is hard. Never used by the kiosk."""

from __future__ import annotations

import cv2
import numpy as np

WORK_WIDTH = 1000


def find_page(frame: np.ndarray) -> np.ndarray | None:
    scale = WORK_WIDTH / frame.shape[1]
    small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    median = float(np.median(grey))
    edges = cv2.dilate(cv2.Canny(grey, 0.66 * median, 1.33 * median), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    min_area = 0.01 * grey.size
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
        if len(approx) == 4 and cv2.isContourConvex(approx) and cv2.contourArea(approx) > min_area:
            return approx.reshape(4, 2).astype(np.float32) / scale
    return None
