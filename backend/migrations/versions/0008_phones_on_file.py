"""The phone number on file: the ID applications that gave one, by the keyed hash of
their citizen's ID number, so that a renewal check offers the latest number instead
of the citizen typing it again. Only the hash and the record's seq are here: the
phone stays sealed in its record.

Applications stored before this revision are not indexed (their ID numbers are
sealed; the migration holds no key to hash them): their citizens type the number
once more.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "phones_on_file",
        sa.Column("record_seq", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["record_seq"], ["records.seq"]),
        sa.PrimaryKeyConstraint("record_seq"),
    )
    op.create_index(op.f("ix_phones_on_file_id_hash"), "phones_on_file", ["id_hash"])


def downgrade() -> None:
    # nothing is lost: the applications keep their phones, sealed
    op.drop_index(op.f("ix_phones_on_file_id_hash"), table_name="phones_on_file")
    op.drop_table("phones_on_file")
