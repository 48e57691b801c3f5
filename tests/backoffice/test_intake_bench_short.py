"""The intake benchmark (bench/backoffice.py) in miniature, so `make bench` cannot rot unnoticed."""

from bench.backoffice import intake_rate


def test_the_intake_benchmark_measures_both_backends(pg_url):
    for database in ("sqlite", pg_url):
        rate = intake_rate(database, count=2)
        assert rate["bundles_per_s"] > 0 and rate["mb_per_s"] > rate["bundles_per_s"]
