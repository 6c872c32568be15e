"""The per-client sliding window (service/ratelimit.py), driven by an injected clock."""

from __future__ import annotations

from service.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_the_limit_then_refuses_until_the_window_slides():
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    clock.now += 59.9
    assert limiter.allow("10.0.0.1") is False
    clock.now += 0.1  # the first three are now 60 s old
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]


def test_refused_attempts_do_not_extend_the_wait():
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    assert limiter.allow("a")
    for _ in range(10):
        clock.now += 5
        assert not limiter.allow("a")
    clock.now += 10  # 60 s after the one allowed question
    assert limiter.allow("a")


def test_the_window_slides_one_question_at_a_time():
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.allow("a")
    clock.now += 30
    assert limiter.allow("a") and not limiter.allow("a")
    clock.now += 30  # the first left the window, the second has not
    assert limiter.allow("a") and not limiter.allow("a")


def test_clients_are_counted_apart():
    limiter = RateLimiter(1, clock=Clock())
    assert limiter.allow("a") and limiter.allow("b")
    assert not limiter.allow("a") and not limiter.allow("b")


def test_zero_means_no_limit():
    limiter = RateLimiter(0, clock=Clock())
    assert all(limiter.allow("a") for _ in range(100))


def test_no_address_is_kept_in_clear():
    limiter = RateLimiter(5, clock=Clock())
    limiter.allow("192.168.1.20")
    assert all("192.168" not in key for key in limiter._seen)
    assert RateLimiter(5)._key("x") != limiter._key("x")  # salted per process


def test_silent_clients_are_forgotten_when_many_are_tracked():
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    for i in range(10_000):
        limiter.allow(f"old-{i}")
    clock.now += 61
    limiter.allow("new-1")
    limiter.allow("new-2")  # past 10,000 clients: the silent ones are dropped
    assert len(limiter._seen) == 2
