"""Personal fields sealed at rest (backend/vault.py): each record's wrapped data key
and encrypted fields; a photo's keyed ID-number hash, which scopes who may fetch it.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.add_column("records", sa.Column("sealed_key", sa.String(length=120), nullable=True))
    op.add_column("records", sa.Column("sealed", sa.Text(), nullable=True))
    op.add_column("photos", sa.Column("id_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    sealed = op.get_bind().scalar(sa.text("SELECT count(*) FROM records WHERE sealed IS NOT NULL"))
    if sealed:  # dropping the columns would destroy those records' personal fields
        raise RuntimeError(f"{sealed} records hold sealed personal fields: not downgraded")
    # in place on both (SQLite 3.35+): copying `records` would trip the foreign keys
    # of the rows that refer to it
    op.drop_column("photos", "id_hash")
    op.drop_column("records", "sealed")
    op.drop_column("records", "sealed_key")
