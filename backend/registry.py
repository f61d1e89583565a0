"""The seeded registry: synthetic citizens and permits, one for each case the flows
must handle (services.md). Never real people: the names are 测试 + a case word and
the ID numbers are made here, with a valid check digit, in region 110101.

Dates are relative to the day the database was first seeded, so the cases stay
true whenever the backend is started.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.db import Citizen, Kinship, Permit

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: str, sequence: int) -> str:
    """A GB 11643 number: region 110101, birth YYYYMMDD, a sequence, the check digit."""
    body = f"110101{birth}{sequence:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


# case, name, birth date, years until the card expires (negative: expired), flags
CITIZENS = [
    ("renewal_due", "测试换证", "19800101", 0.1, {}),
    ("renewal_early", "测试未到期", "19810202", 5, {}),
    ("minor", "测试少年", f"{dt.date.today().year - 15}0303", 0.1, {}),
    ("collective", "测试集体户", "19820404", 0.1, {"collective_household": True}),
    ("first_application", "测试首次", "19830505", 0.1, {"first_application": True}),
    ("state_employee", "测试备案", "19840606", 3, {"state_employee": True}),
    ("record", "测试有记录", "19850707", 3, {"criminal_record": True}),
    ("exit_hold", "测试限制", "19860808", 3, {"exit_entry_hold": True}),
    ("traveller", "测试旅客", "19870909", 3, {}),
    # the register's cases for the proofs (see REGISTER below)
    ("moved_out", "测试迁出", "19880110", 3, {}),
    ("late_parent", "测试已故", "19550220", -2, {}),
    ("sample_child", "测试子女", "19750606", 3, {}),
    ("late_spouse", "测试配偶", "19480808", -1, {}),
]
# The simulators' sample citizen (drivers' ID card and chip simulators), so that
# `make run` with its embedded backend walks the flows end to end.
SAMPLE_CARD: tuple[str, str, str, float, dict[str, bool]] = (
    "sample_card",
    "钱多多",
    "11010519491231002X",
    0.1,
    {},
)
SAMPLE_PERMIT = ("C01234567", "sample_card", False, 4, 400, True)

# case, holder case, booklet, years until expiry, days since last endorsement, used before
PERMITS = [
    ("C10000001", "traveller", False, 4, 400, True),
    ("C10000002", "state_employee", False, 4, 400, True),
    ("C10000003", "renewal_early", False, 4, None, False),
    ("C10000004", "exit_hold", False, 4, 400, True),
    ("C10000005", "record", False, 0.2, 400, True),
    ("C10000006", "minor", False, 4, 10, True),
    ("W1000007", "renewal_due", True, 4, 400, True),
]


# The household register: every citizen is registered here (户籍, 居住, 出生) but the one
# who moved out; deaths registered, by case and days before the seeding; the relations,
# each (citizen, relative, what the relative is to the citizen), stored both ways.
HERE = "北京市东城区景山前街"
NOT_HERE = {"moved_out"}
DEATHS = {"late_parent": 700, "late_spouse": 400}
RELATIONS = [
    ("traveller", "late_parent", "parent"),
    ("traveller", "renewal_early", "sibling"),
    ("late_parent", "renewal_early", "child"),
    (SAMPLE_CARD[0], "sample_child", "child"),
    (SAMPLE_CARD[0], "late_spouse", "spouse"),
]
CONVERSE = {"parent": "child", "child": "parent", "spouse": "spouse", "sibling": "sibling"}

# 自助取证: finished documents waiting for their holders, one for each answer of the
# pickup lookup (backend/services.py pickup). Fixed data, no table: ready dates are
# counted from today, and a pickup is collected once a terminal's `pickup-<ref>`
# record has come in (or `collected` says the counter handed it out already).
# reference, holder case, document, its number (an ID card's: the holder's ID number),
# days until ready (<= 0: ready),
# the site it waits at (None: any terminal that asks), held for the counter, collected
OTHER_SITE = "朝阳分局出入境大厅"


@dataclass(frozen=True)
class Pickup:
    reference: str
    holder: str
    document: str
    number: str
    ready_in_days: int
    site: str | None = None
    held: bool = False
    collected: bool = False


PICKUPS = [
    # the simulators' sample card: a finished ID card ready here (`make run` loads it)
    Pickup("QJ-7K2M9X", SAMPLE_CARD[0], "id_card", "", -1),
    Pickup("QJ-2H8P4R", "traveller", "hk_macau_permit", "C20000008", 3),
    Pickup("QJ-5T3W6Y", "renewal_early", "id_card", "", -10, collected=True),
    Pickup("QJ-9N4B7C", "record", "passport", "E20000009", -2, site=OTHER_SITE),
    Pickup("QJ-3D6F8G", "state_employee", "passport", "E20000010", -5, held=True),
]


def citizen_id(case: str) -> str:
    """The ID number of the registry's citizen for a case (tests and demos use it)."""
    if case == SAMPLE_CARD[0]:
        return SAMPLE_CARD[2]
    for index, (name, _, birth, _, _) in enumerate(CITIZENS):
        if name == case:
            return id_number(birth, 10 + 2 * index)
    raise KeyError(case)


def seed(engine: Engine, now: float | None = None) -> None:
    """Inserts the synthetic registry once (nothing happens on a seeded database but
    the household register it may lack)."""
    today = dt.date.fromtimestamp(now if now is not None else time.time())
    with Session(engine) as db:
        if db.scalar(select(Citizen).limit(1)) is not None:
            seed_register(engine, today)
            return
        for case, name, _birth, years, flags in [*CITIZENS, SAMPLE_CARD]:
            db.add(
                Citizen(
                    id_number=citizen_id(case),
                    name=name,
                    card_expires=_after(today, years).isoformat(),
                    **flags,
                )
            )
        db.flush()
        for number, holder, booklet, years, since, used in [*PERMITS, SAMPLE_PERMIT]:
            last = (today - dt.timedelta(days=since)).isoformat() if since is not None else None
            db.add(
                Permit(
                    number=number,
                    id_number=citizen_id(holder),
                    booklet=booklet,
                    expires=_after(today, years).isoformat(),
                    endorsements_used=1 if used else 0,
                    last_endorsed=last,
                )
            )
        db.commit()
    seed_register(engine, today)


def seed_register(engine: Engine, today: dt.date) -> None:
    """The household register beside the seeded citizens, once: a database seeded
    before it (migration 0015) gets it at its next start."""
    with Session(engine) as db:
        if db.scalar(select(Kinship).limit(1)) is not None:
            return
        cases = [case for case, *_ in [*CITIZENS, SAMPLE_CARD]]
        for number, case in enumerate(cases, start=1):
            citizen = db.get(Citizen, citizen_id(case))
            if citizen is None:  # seeded before this case existed: not in the register
                continue
            born = dt.date.fromisoformat(_iso(citizen.id_number[6:14]))
            if case not in NOT_HERE:
                citizen.household_address = citizen.residence_address = f"{HERE}{number}号"
                citizen.residence_since = _after(born, 18).isoformat()
                citizen.birth_place = "北京市东城区"
                citizen.birth_registered = (born + dt.timedelta(days=20)).isoformat()
            if case in DEATHS:
                citizen.died_on = (today - dt.timedelta(days=DEATHS[case])).isoformat()
        for case, relative, relation in RELATIONS:
            if (
                db.get(Citizen, citizen_id(case)) is None
                or db.get(Citizen, citizen_id(relative)) is None
            ):
                continue
            db.add(Kinship(id_number=citizen_id(case), relative=citizen_id(relative),
                           relation=relation))  # fmt: skip
            db.add(Kinship(id_number=citizen_id(relative), relative=citizen_id(case),
                           relation=CONVERSE[relation]))  # fmt: skip
        db.commit()


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


def _after(today: dt.date, years: float) -> dt.date:
    return today + dt.timedelta(days=round(365.25 * years))
