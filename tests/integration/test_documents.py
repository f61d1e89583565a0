"""Printed documents round trip: render, rasterise, verify; forgeries are refused."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno

from kiosk.documents.gallery import PACK, samples, slips
from kiosk.documents.keys import config_lines, keygen, load_issuing_key
from kiosk.documents.proofs import issue
from kiosk.documents.slips import SlipContext, slip_pdf
from kiosk.documents.verify import verify_file
from tests.suite_env import SUITE
from wire import crypto
from wire.proof import encode

TODAY = date.today()
KIOSK = str(Path(sys.executable).parent / "kiosk")
# the commands run this checkout's code (a worktree's too), not the installed one's
ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONPATH": str(Path(__file__).parents[2]),
    **SUITE,
}


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    return keygen(tmp_path_factory.mktemp("keys"), "test-key")


@pytest.fixture(scope="module")
def trusted(key):
    return {key.key_id: key.private.public}


@pytest.fixture(scope="module")
def proofs(key, tmp_path_factory):
    folder = tmp_path_factory.mktemp("proofs")
    made = {}
    for kind, request in samples(TODAY).items():
        issued = issue(request, key, PACK)
        path = folder / f"{kind}.pdf"
        path.write_bytes(issued.pdf)
        made[kind] = (path, issued)
    return made


def rasterise(pdf: Path, dpi: int) -> np.ndarray:
    out = pdf.with_name(f"{pdf.stem}-{dpi}")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(pdf), str(out)], check=True
    )
    return cv2.imread(f"{out}.png", cv2.IMREAD_GRAYSCALE)


def save(image: np.ndarray, path: Path) -> Path:
    cv2.imwrite(str(path), image)
    return path


@pytest.mark.parametrize("kind", ["criminal_record", "household", "residence"])
def test_every_proof_verifies_from_its_pdf_and_its_printout(proofs, trusted, kind, tmp_path):
    pdf, issued = proofs[kind]
    verdict = verify_file(pdf, trusted, TODAY)
    assert verdict.status == "valid", verdict
    assert verdict.payload == issued.payload
    assert verdict.verification_code == issued.verification_code
    scan = save(rasterise(pdf, 300), tmp_path / "scan.png")
    assert verify_file(scan, trusted, TODAY).status == "valid"


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderValue=255)


def _perspective(image: np.ndarray) -> np.ndarray:
    h, w = image.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * 0.04, h * 0.02], [w * 0.97, 0], [w, h], [w * 0.02, h * 0.97]])
    return cv2.warpPerspective(
        image, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=255
    )


def _noisy(image: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 25, image.shape)
    return np.clip(cv2.GaussianBlur(image, (3, 3), 0) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("name", "dpi", "change", "suffix"),
    [
        ("rotated 7 degrees", 300, lambda im: _rotate(im, 7), ".png"),
        ("upside down", 300, lambda im: cv2.rotate(im, cv2.ROTATE_180), ".png"),
        ("150 dpi", 150, lambda im: im, ".png"),
        ("600 dpi", 600, lambda im: im, ".png"),
        ("photo at an angle", 300, _perspective, ".jpg"),
        ("noisy scan", 300, _noisy, ".png"),
        ("JPEG, quality 40", 200, lambda im: im, ".jpg"),
    ],
)
def test_scans_taken_badly_still_verify(proofs, trusted, tmp_path, name, dpi, change, suffix):
    pdf, _ = proofs["criminal_record"]
    image = change(rasterise(pdf, dpi))
    path = tmp_path / f"scan{suffix}"
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 40])
    assert verify_file(path, trusted, TODAY).status == "valid", name


def test_expired_unknown_key_and_altered_are_refused(key, trusted, proofs, tmp_path):
    old = samples(TODAY - timedelta(days=200))["criminal_record"]
    expired = tmp_path / "expired.pdf"
    expired.write_bytes(issue(old, key, PACK).pdf)
    assert verify_file(expired, trusted, TODAY).status == "expired"

    pdf, issued = proofs["criminal_record"]
    stranger = keygen(tmp_path / "other", "test-key")
    assert verify_file(pdf, {"another": stranger.private.public}, TODAY).status == ("unknown_key")
    # The same key id, another key: what a forger with a look-alike key would print.
    assert verify_file(pdf, {"test-key": stranger.private.public}, TODAY).status == "forged"

    # Altered: a longer validity, printed with the original signature.
    longer = issued.payload.model_copy(update={"e": "20991231"})
    body = encode(longer, stranger.private).split(".")[1]
    tampered = ".".join([issued.code_text.split(".")[0], body, issued.code_text.split(".")[2]])
    page = tmp_path / "tampered.png"
    segno.make_qr(tampered, error="m").save(str(page), scale=6, border=4)
    assert verify_file(page, trusted, TODAY).status == "forged"

    blank = save(np.full((800, 600), 255, np.uint8), tmp_path / "blank.png")
    assert verify_file(blank, trusted, TODAY).status == "no_code"


def test_every_pdf_embeds_every_font(proofs, tmp_path):
    pdfs = [path for path, _ in proofs.values()]
    context = SlipContext("BJ-DC-0007", "T-1", datetime(2026, 11, 23, 3, 12))
    for name, slip in slips(context).items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(slip_pdf(slip))
        pdfs.append(path)
    for pdf in pdfs:
        listing = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert listing, pdf
        for row in listing:
            fields = row.split()
            assert fields[-5:-3] == ["yes", "yes"], f"{pdf}: {row}"  # embedded, subset
    # the rare-character names drew from the fallback face
    rare = subprocess.run(
        ["pdffonts", str(proofs["criminal_record"][0])], capture_output=True, text=True
    ).stdout
    assert "HanaMinA" in rare


def test_kiosk_proof_verify(proofs, key, tmp_path):
    conf = tmp_path / "kiosk.toml"
    conf.write_text(config_lines(key, tmp_path) + "\n[logging]\nstderr = false\n")

    def verify(*args):
        return subprocess.run(
            [KIOSK, "--config", str(conf), "proof", "verify", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=ENV,
        )

    pdf, issued = proofs["criminal_record"]
    ok = verify(str(pdf))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("genuine: Certificate of No Criminal Record, No. CR-")
    assert issued.verification_code in ok.stdout and ok.stdout.count("\n") == 1
    shown = json.loads(verify(str(pdf), "--json").stdout)
    assert shown["status"] == "valid" and shown["fields"]["holder"] == "王**"
    blank = save(np.full((400, 300), 255, np.uint8), tmp_path / "blank.png")
    refused = verify(str(blank))
    assert refused.returncode == 1 and refused.stdout.startswith("refused: no certificate QR")
    missing = verify(str(tmp_path / "nope.pdf"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    text = tmp_path / "note.txt"
    text.write_text("hello")
    assert verify(str(text)).returncode == 2
    conf.write_text("[logging]\nstderr = false\n")
    no_keys = verify(str(pdf))
    assert no_keys.returncode == 2 and "no trusted issuer keys" in no_keys.stderr


@pytest.mark.parametrize("suite", crypto.NAMES)
def test_kiosk_proof_keygen_and_verify_in_each_suite(suite, tmp_path):
    """`kiosk proof keygen` makes the key in the configured suite; the proof it signs
    verifies offline with the trusted key it prints, and with no other suite's."""
    conf = tmp_path / "kiosk.toml"
    conf.write_text(f'[crypto]\nsuite = "{suite}"\n[logging]\nstderr = false\n')

    def kiosk(*args):
        return subprocess.run([KIOSK, "--lang", "en", "--config", str(conf), "proof", *args],
                              capture_output=True, text=True, timeout=60, env=ENV)  # fmt: skip

    made = kiosk("keygen", str(tmp_path / "keys"), "--key-id", "dev-1")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()[1:]  # after the line for a person: the config's
    assert ('dev-1 = "gm:' in lines[-1]) == (suite == "gm")
    key = load_issuing_key(tmp_path / "keys")
    assert (key.key_id, key.suite.name) == ("dev-1", suite)
    pdf = tmp_path / "proof.pdf"
    issued = issue(samples(TODAY)["criminal_record"], key, PACK)
    assert issued.code_text.startswith("KP1-GM." if suite == "gm" else "KP1.")
    pdf.write_bytes(issued.pdf)
    conf.write_text("\n".join(lines) + "\n[logging]\nstderr = false\n")
    shown = kiosk("verify", str(pdf), "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert found["status"] == "valid" and found["verification_code"] == issued.verification_code
    other = crypto.suite("intl" if suite == "gm" else "gm").generate_private_key().public
    conf.write_text(f'[proof]\ntrusted_keys = {{ dev-1 = "{crypto.public_key_text(other)}" }}\n'
                    "[logging]\nstderr = false\n")  # fmt: skip
    refused = kiosk("verify", str(pdf), "--json")
    assert refused.returncode == 1 and json.loads(refused.stdout)["status"] == "forged"


def test_a_damaged_development_key_folder_is_a_config_error(tmp_path):
    from kiosk.errors import ConfigError

    keygen(tmp_path, "dev-1", crypto.DEFAULT)
    (tmp_path / "dev-1.hmac").unlink()
    with pytest.raises(ConfigError):
        load_issuing_key(tmp_path)
    keygen(tmp_path, "dev-1", crypto.DEFAULT)
    (tmp_path / "dev-1.key").write_bytes("密钥".encode())
    with pytest.raises(ConfigError):
        load_issuing_key(tmp_path)
