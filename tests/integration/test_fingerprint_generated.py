"""pyfingerprint (a host tool written elsewhere for the real R30x module) against our
simulator, on hundreds of generated cases, with the wire paced at 57,600 baud: every
finger enrolled at its place is found there and nowhere else, poor images are
refused, characteristics make the round trip byte for byte, deletes take. The error
rate is printed."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

import pytest
from pyfingerprint.pyfingerprint import PyFingerprint

from drivers.fingerprint.simulator import FingerProfile, R30xSimulator

FINGERS = 200


@pytest.fixture(scope="module")
def tool() -> Iterator[tuple[PyFingerprint, R30xSimulator]]:
    # the sensor's imaging time shortened (the wire is still paced): hundreds of reads
    sim = R30xSimulator(FingerProfile(image_min_s=0.005, image_max_s=0.01)).start()
    try:
        client = PyFingerprint(str(sim.link), 57600, 0xFFFFFFFF, 0x00000000)
        assert client.verifyPassword()
        yield client, sim
    finally:
        sim.stop()


def _image(client: PyFingerprint, sim: R30xSimulator, finger: str, quality: int = 80) -> None:
    sim.put_finger(finger, quality)
    assert client.readImage()
    sim.lift_finger()


def test_enrolled_fingers_are_found_where_they_were_stored(tool) -> None:
    client, sim = tool
    rng = random.Random(1)
    assert client.clearDatabase()
    names = {"".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(FINGERS)}
    places = dict(zip(sorted(names), rng.sample(range(1000), len(names)), strict=True))
    for finger, place in places.items():
        _image(client, sim, finger)
        client.convertImage(0x01)
        _image(client, sim, finger)
        client.convertImage(0x02)
        assert client.compareCharacteristics() > 0
        assert client.createTemplate()
        assert client.storeTemplate(place, 0x01) == place
    assert client.getTemplateCount() == len(places)
    wrong = 0
    for finger, place in places.items():
        _image(client, sim, finger)
        client.convertImage(0x01)
        found, accuracy = client.searchTemplate()
        wrong += found != place or accuracy <= 0
    strangers = 0
    for n in range(FINGERS // 2):  # fingers never enrolled: found nowhere
        _image(client, sim, f"stranger-{n}")
        client.convertImage(0x01)
        strangers += client.searchTemplate()[0] != -1
    print(f"{len(places)} fingers: {wrong} found elsewhere or not at all; "
          f"{strangers} of {FINGERS // 2} strangers matched")  # fmt: skip
    assert wrong == 0 and strangers == 0


def test_poor_images_are_refused(tool) -> None:
    client, sim = tool
    rng = random.Random(2)
    refused = 0
    for n in range(100):
        quality = rng.randint(0, 100)
        _image(client, sim, f"finger-{n}", quality)
        try:
            client.convertImage(0x01)
            accepted = True
        except Exception as exc:  # pyfingerprint raises plain Exceptions
            assert "messy" in str(exc) or "few feature points" in str(exc), exc
            accepted = False
        refused += not accepted
        assert accepted == (quality >= 40), (quality, accepted)
    assert 0 < refused < 100


def test_characteristics_make_the_round_trip_and_deletes_take(tool) -> None:
    client, _ = tool
    rng = random.Random(3)
    for _ in range(100):
        data = [rng.randrange(256) for _ in range(512)]
        assert client.uploadCharacteristics(0x01, data)
        assert client.downloadCharacteristics(0x01) == data
    assert client.clearDatabase()
    kept = set(rng.sample(range(1000), 60))
    for place in kept:
        client.uploadCharacteristics(0x01, [rng.randrange(256) for _ in range(512)])
        client.storeTemplate(place, 0x01)
    gone = set(rng.sample(sorted(kept), 20))
    for place in gone:
        assert client.deleteTemplate(place)
    pages = [client.getTemplateIndex(page) for page in range(4)]
    index = {page * 256 + p for page, used in enumerate(pages) for p, on in enumerate(used) if on}
    assert index == kept - gone
