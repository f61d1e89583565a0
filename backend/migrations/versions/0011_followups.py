"""好差评 follow-ups (回访): a ticket for every rating of 1-2 stars, opened at ingest,
open → assigned → answered → closed on the console (backend/followups.py).

Ratings stored before this revision open no ticket: they were rated before anyone
promised to call back.

Revision ID: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("assignee", sa.String(length=40), nullable=True),
        sa.Column("assigned_at", sa.Float(), nullable=True),
        sa.Column("assigned_by", sa.String(length=40), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("answered_by", sa.String(length=40), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transaction"),
    )
    op.create_index(op.f("ix_followups_terminal_id"), "followups", ["terminal_id"])
    op.create_index(op.f("ix_followups_opened_at"), "followups", ["opened_at"])
    op.create_index(op.f("ix_followups_state"), "followups", ["state"])


def downgrade() -> None:
    # the ratings stay, and who changed which ticket when (the audit log); the answers go
    op.drop_index(op.f("ix_followups_state"), table_name="followups")
    op.drop_index(op.f("ix_followups_opened_at"), table_name="followups")
    op.drop_index(op.f("ix_followups_terminal_id"), table_name="followups")
    op.drop_table("followups")
