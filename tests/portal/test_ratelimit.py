"""Sliding windows shared by the workers (portal/ratelimit.py, on the `limits` library)."""

import pytest

from portal import ratelimit


@pytest.fixture
def clock(monkeypatch):
    """The time `limits` reads, moved by the test instead of sleeping."""
    now = [1_780_000_000.0]
    monkeypatch.setattr("time.time", lambda: now[0])
    return now


def test_a_full_window_refuses_without_counting_and_frees_a_place_as_hits_age(clock):
    assert [ratelimit.hit("2/minute", "k") for _ in range(3)] == [True, True, False]
    assert not ratelimit.allows("2/minute", "k")
    clock[0] += 61
    assert ratelimit.allows("2/minute", "k") and ratelimit.hit("2/minute", "k")


def test_no_window_of_the_length_holds_more_than_the_limit_across_a_minute_boundary(clock):
    clock[0] = 60 * 29_666_666 + 59  # the last second of a calendar minute
    assert ratelimit.hit("1/minute", "k")
    clock[0] += 2  # the next calendar minute: a per-minute counter would start again
    assert not ratelimit.hit("1/minute", "k")


def test_portals_sharing_a_store_keep_their_windows_apart_by_the_caches_key_prefix(settings, clock):
    cache = settings.CACHES["default"]
    settings.CACHES = {"default": {**cache, "KEY_PREFIX": "beauval"}}
    assert ratelimit.hit("1/minute", "k") and not ratelimit.hit("1/minute", "k")
    settings.CACHES = {"default": {**cache, "KEY_PREFIX": "autreville"}}
    assert ratelimit.hit("1/minute", "k")
