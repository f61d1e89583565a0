"""The proof the simulated citizen holds up at `make run`'s proof check: signed by the
embedded backend's issuer, it checks as genuine against the keys that backend
publishes (what the terminal trusts once it pulled the config), names the sample
card's holder masked, and is a week old; a key the terminal does not trust is said
as such. The backend is the real one (create_app on SQLite), not a stand-in."""

from __future__ import annotations

from datetime import date, timedelta

from backend.app import Settings, create_app
from drivers.id_card.simulator import CardProfile
from kiosk.app import embedded_issuer
from kiosk.citypack import load_pack
from kiosk.documents.verify import verify_text
from kiosk.simulated import PAPER_AGE_DAYS, proof_paper
from wire import crypto
from wire import proof as kp


def test_the_embedded_backends_proof_checks_genuine_against_its_published_keys(tmp_path):
    app = create_app(Settings(f"sqlite:///{tmp_path / 'b.db'}", tmp_path))
    holder = CardProfile().citizen
    today = date(2026, 12, 6)
    code = proof_paper(embedded_issuer(app), holder, load_pack(), today)
    published = app.state.issuers.current().public_keys
    trusted = {kid: kp.public_key_from_text(text) for kid, text in published.items()}
    verdict = verify_text(code, trusted, today)
    assert verdict.status == "valid", verdict
    assert verdict.payload is not None
    assert verdict.payload.t == "cr" and verdict.payload.n == holder["name"][0] + "**"
    assert verdict.payload.issued == today - timedelta(days=PAPER_AGE_DAYS)
    # the holder's ID number is in the code only as the issuer's HMAC
    assert holder["id_number"] not in code
    # another issuer's key: not genuine for this terminal
    other = {"issuer-1": crypto.suite(crypto.DEFAULT).generate_private_key().public}
    assert verify_text(code, other, today).status == "forged"
    assert verify_text(code, {}, today).status == "unknown_key"
