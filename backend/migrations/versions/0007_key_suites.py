"""A terminal's public key says its crypto suite (wire/signing.py): `gm:` and an SM2
point (90 characters) beside the Ed25519 keys (43): the column is widened.

Revision ID: 0007
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

BEFORE, AFTER = 64, 96


def upgrade() -> None:
    _width(BEFORE, AFTER)


def downgrade() -> None:
    longer = op.get_bind().scalar(
        sa.text(f"SELECT count(*) FROM terminals WHERE length(public_key) > {BEFORE}")
    )
    if longer:  # cutting them would lock those terminals out
        raise RuntimeError(f"{longer} terminals hold gm (SM2) keys: not downgraded")
    _width(AFTER, BEFORE)


def _width(old: int, new: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column("terminals", "public_key", existing_type=sa.String(length=old),
                        type_=sa.String(length=new), existing_nullable=False)  # fmt: skip
        return
    # SQLite keeps a declared length only in the table's CREATE statement and never
    # enforces it; copying `terminals` (Alembic's batch mode) would trip the foreign
    # keys of the rows that refer to it, so the statement is rewritten in place, the
    # way SQLite's documentation allows for changes that leave the stored rows as
    # they are (https://sqlite.org/lang_altertable.html#otheralter).
    sql = bind.scalar(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'terminals'")
    )
    changed, found = re.subn(rf"(public_key\s+VARCHAR)\({old}\)", rf"\g<1>({new})", sql, flags=re.I)
    if found != 1:
        raise RuntimeError(f"terminals.public_key: not VARCHAR({old}) in {sql!r}")
    version = bind.scalar(sa.text("PRAGMA schema_version"))
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'terminals'"),
        {"sql": changed},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
