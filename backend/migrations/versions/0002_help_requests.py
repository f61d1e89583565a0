"""Help requests (求助): what a citizen asked of the officer on duty, open until
acknowledged on the console.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_seq", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("screen", sa.String(length=24), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("elderly", sa.Boolean(), nullable=False),
        sa.Column("acked_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["record_seq"], ["records.seq"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_seq"),
    )
    op.create_index(op.f("ix_help_requests_terminal_id"), "help_requests", ["terminal_id"])
    op.create_index(op.f("ix_help_requests_acked_at"), "help_requests", ["acked_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_help_requests_acked_at"), table_name="help_requests")
    op.drop_index(op.f("ix_help_requests_terminal_id"), table_name="help_requests")
    op.drop_table("help_requests")
