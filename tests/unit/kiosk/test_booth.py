"""The booth's policies (kiosk/booth.py), headless on a virtual clock: presence wakes
and greets, a citizen gone mid-session is asked sooner, once; a door or the tamper
switch locks the services, tells the backend, cancels a session, and only a
technician's clear, with the cabinet shut, unlocks them."""

from __future__ import annotations

from kiosk.booth import LOCKED_MESSAGE, BoothGuard, PresencePolicy, SensorReading

SHUT = SensorReading("absent", "closed", "ok")


class Screen:
    def __init__(self) -> None:
        self.now = 0.0
        self.session = False
        self.calls: list[str] = []
        self.told: list[tuple[str, str]] = []

    def presence(self, **kwargs) -> PresencePolicy:
        return PresencePolicy(in_session=lambda: self.session,
                              approached=lambda: self.calls.append("approached"),
                              away=lambda: self.calls.append("away"), away_after_s=10,
                              clock=lambda: self.now, **kwargs)  # fmt: skip

    def guard(self) -> BoothGuard:
        return BoothGuard(
            in_session=lambda: self.session,
            cancel_session=lambda: self.calls.append("cancel"),
            report=lambda status, detail: self.told.append((status, detail)),
        )


def reading(presence="absent", door="closed", tamper="ok") -> SensorReading:
    return SensorReading(presence, door, tamper)


def test_someone_stepping_up_is_greeted_once_per_approach() -> None:
    screen = Screen()
    policy = screen.presence()
    policy.feed(reading("present"))  # there as the terminal starts: nobody stepped up
    policy.feed(reading("absent"))
    assert screen.calls == []
    policy.feed(reading("present"))
    policy.feed(reading("present"))
    assert screen.calls == ["approached"]
    policy.feed(reading("unknown"))  # the board silent: no news
    policy.feed(reading("absent"))
    policy.feed(reading("present"))
    assert screen.calls == ["approached", "approached"]


def test_a_citizen_walking_away_mid_session_is_asked_once_after_ten_seconds() -> None:
    screen = Screen()
    policy = screen.presence()
    policy.feed(reading("absent"))
    policy.feed(reading("present"))
    screen.session = True
    policy.tick()
    screen.now = 30.0
    policy.feed(reading("absent"))  # walks away
    screen.now = 39.9
    policy.tick()
    assert screen.calls == ["approached"]
    screen.now = 40.0
    policy.tick()
    screen.now = 80.0
    policy.tick()
    assert screen.calls == ["approached", "away"]  # once
    policy.feed(reading("present"))  # back: a new absence would be asked about again
    screen.now = 90.0
    policy.feed(reading("absent"))
    screen.now = 100.0
    policy.tick()
    assert screen.calls[-2:] == ["approached", "away"]


def test_nobody_is_asked_between_sessions_and_absence_counts_from_the_session() -> None:
    screen = Screen()
    policy = screen.presence()
    policy.feed(reading("absent"))  # a radar stuck at nobody, all night
    screen.now = 500.0
    policy.tick()
    assert screen.calls == []  # no session: nobody to ask
    screen.session = True
    policy.tick()
    screen.now = 509.0
    policy.tick()
    assert screen.calls == []  # the session is 9 s old
    screen.now = 510.0
    policy.tick()
    assert screen.calls == ["away"]


def test_a_door_opened_locks_tells_and_cancels_until_cleared_with_the_door_shut() -> None:
    screen = Screen()
    guard = screen.guard()
    guard.feed(SHUT)
    assert guard.unavailable is None and guard.clear() == "nothing_to_clear"
    screen.session = True
    guard.feed(reading(door="open"))
    assert guard.unavailable == LOCKED_MESSAGE and guard.status_word() == "door_open"
    assert screen.calls == ["cancel"]
    assert screen.told == [("door_open", "door_open: services locked")]
    guard.feed(reading(door="open"))  # the same alarm: told and cancelled once
    assert screen.calls == ["cancel"] and len(screen.told) == 1
    assert guard.clear() == "door_open"  # not with the door still open
    guard.feed(SHUT)
    assert guard.locked  # shut again, still locked
    assert guard.clear() == "cleared" and not guard.locked
    assert screen.told[-1] == ("online", "alarm cleared at the maintenance desk")


def test_tamper_is_told_as_tamper_and_a_silent_board_clears_nothing() -> None:
    screen = Screen()
    guard = screen.guard()
    guard.feed(reading(tamper="tampered"))
    assert screen.calls == []  # no session to cancel
    assert guard.status_word() == "tamper" and screen.told[0][0] == "tamper"
    guard.feed(reading(door="open", tamper="tampered"))
    assert guard.alarm == {"tamper", "door_open"} and guard.status_word() == "tamper"
    assert guard.clear() == "door_open"
    guard.feed(reading(door="closed", tamper="tampered"))
    assert guard.clear() == "tampered"
    guard.feed(SensorReading("unknown", "unknown", "unknown"))
    assert guard.clear() == "unknown" and guard.locked
    guard.feed(SHUT)
    assert guard.clear() == "cleared"
