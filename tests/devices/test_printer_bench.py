"""A short run of bench/printer.py inside `make test`: the measurements run and measure something
(the figures themselves are judged in bench/RESULTS.md, never here)."""

from bench import printer as bench


def test_the_receipt_timing_measures_the_whole_job_on_the_wire():
    figures = bench.receipt_timing(runs=1)
    assert figures["job_bytes"] > 500
    assert figures["wire_ms"] >= figures["job_bytes"] * 10 / bench.BAUD * 1000
    assert figures["print_to_last_byte_ms"] > 0


def test_the_form_timing_builds_a_form():
    figures = bench.form_timing(pages=1, runs=1)
    assert figures["mb"] > 0.1 and figures["warm_s"] > 0
