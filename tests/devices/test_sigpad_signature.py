"""Signatures as data: refusal of a dot or a line, the ISO/IEC 19794-7 record both ways (and under
junk), and ink that is smooth and thinner where the pen was fast."""

import contextlib
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk import signature
from kiosk.errors import SignaturePadError
from kiosk.sim.sigpad import synthetic_signature


def written(seed=0):
    """The simulator's cursive strokes in mm and ms, 133 samples a second."""
    return [
        [(x / 100, y / 100, p / 1023, (k * 80 + i) * 7.5) for i, (x, y, p) in enumerate(stroke)]
        for k, stroke in enumerate(synthetic_signature(seed))
    ]


def straight(length_mm, n, speed_mm_per_ms, y=10.0):
    return [
        (10 + length_mm * i / (n - 1), y, 0.5, length_mm * i / (n - 1) / speed_mm_per_ms) for i in range(n)
    ]


def test_a_real_signature_is_accepted():
    signature.check(written())


@pytest.mark.parametrize(
    "strokes",
    [
        [[(10.0, 10.0, 0.5, float(t)) for t in range(40)]],  # a dot held down
        [straight(5, 30, 0.1)],  # a short line
        [straight(60, 40, 0.1)],  # a long but bare straight line
        [[(10.0, 10.0, 0.5, 0.0)]] * 5,  # five taps
    ],
    ids=["dot", "short-line", "bare-line", "taps"],
)
def test_a_dot_or_a_line_is_refused_with_a_prompt_to_sign_again(strokes):
    with pytest.raises(SignaturePadError) as caught:
        signature.check(strokes)
    assert caught.value.code == "SIGPAD_TOO_SHORT"
    assert "再签一次" in caught.value.message("zh_CN")


def test_a_cross_is_a_mark_not_a_line():
    signature.check(
        [straight(30, 15, 0.1), [(25.0, -5 + 30 * i / 14, 0.5, 5000 + i * 20.0) for i in range(15)]]
    )


def test_the_19794_7_record_starts_with_its_identifiers_and_round_trips():
    strokes = written()
    record = signature.encode_19794_7(signature.time_series(strokes))
    assert record[:8] == b"SDI\x00 10\x00"
    assert int.from_bytes(record[8:10], "big") == 0b1100_0001_0110_0000  # x, y, t, f, s
    back = signature.strokes_from_series(signature.decode_19794_7(record))
    assert len(back) == len(strokes)
    for got, sent in zip(back, strokes, strict=True):
        assert len(got) == len(sent)
        for (gx, gy, gp, gt), (sx, sy, sp, st_) in zip(got, sent, strict=True):
            assert abs(gx - sx) <= 0.005 and abs(gy - sy) <= 0.005
            assert abs(gp - sp) <= 1 / 1023 and abs(gt - (st_ - strokes[0][0][3])) <= 1


def test_touch_signatures_carry_no_pressure_channel():
    series = signature.time_series(written(), with_pressure=False)
    assert [c.name for c in series.channels] == ["x", "y", "t", "s"]


def test_a_slow_signature_keeps_its_time_in_coarser_units():
    strokes = [straight(40, 30, 0.0005)]  # 80 s for 40 mm
    series = signature.time_series(strokes)
    t = next(c for c in series.channels if c.name == "t")
    assert t.scale == 100 and max(s[2] for s in series.samples) == 8000


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.floats(-300, 300), st.floats(-300, 300), st.floats(0, 1), st.floats(0, 60_000)),
            min_size=1,
            max_size=20,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_strokes_survive_the_record(strokes):
    record = signature.encode_19794_7(signature.time_series(strokes))
    back = signature.strokes_from_series(signature.decode_19794_7(record))
    assert [len(s) for s in back] == [len(s) for s in strokes]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_a_malformed_record_is_refused_with_a_typed_error(data):
    with contextlib.suppress(signature.SignatureDataError):
        signature.decode_19794_7(b"SDI\x00 10\x00" + data)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1000.0, 0.001, 12345.0])
def test_scaling_values_encode_within_a_part_in_two_thousand(scale):
    assert signature.decode_scale(signature.encode_scale(scale)) == pytest.approx(scale, rel=1 / 2048)


def ink(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 128


def test_the_image_is_300_dpi_and_spans_the_ink_plus_margins():
    strokes = written()
    png = signature.render_png(strokes)
    image = Image.open(io.BytesIO(png))
    left, _top, right, _bottom = signature.extent_mm(strokes)
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.5)
    assert image.width == math.ceil((right - left + 6) * 300 / 25.4)
    assert ink(png).sum() > 1000


def test_fast_strokes_are_thinner_than_slow_ones():
    slow = ink(signature.render_png([straight(50, 60, 0.05)])).sum()
    fast = ink(signature.render_png([straight(50, 60, 1.0)])).sum()
    assert fast < 0.6 * slow


def test_the_ink_is_smooth_not_a_polyline():
    """A circle written as 8 points comes out round: a polyline would cut in to 9.24 mm mid-chord."""
    points = [
        (20 + 10 * math.cos(2 * math.pi * k / 8), 20 + 10 * math.sin(2 * math.pi * k / 8), 0.5, k * 30.0)
        for k in range(9)
    ]
    ys, xs = np.nonzero(ink(signature.render_png([points])))
    radii = np.hypot(xs - xs.mean(), ys - ys.mean()) / (300 / 25.4)
    assert np.percentile(radii, 1) > 9.3
