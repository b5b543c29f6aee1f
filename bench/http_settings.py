"""The production settings plus one URL, ``/bench/ok``, the trivial view of bench_http."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
