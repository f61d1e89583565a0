"""数据驾驶舱: citizens' sessions as their terminals reported each end (the steps
reached, their seconds, how it ended), for the console's funnels and handling times
(docs/cockpit.md).

Revision ID: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "service_sessions",
        sa.Column("record_seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("end", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("exit_step", sa.String(length=40), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("machine_s", sa.Float(), nullable=True),
        sa.Column("citizen_s", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("record_seq"),
    )
    op.create_index(op.f("ix_service_sessions_terminal_id"), "service_sessions", ["terminal_id"])
    op.create_index(op.f("ix_service_sessions_ended_at"), "service_sessions", ["ended_at"])


def downgrade() -> None:
    # the sessions' ends stay in their audit records (until retention purges them)
    op.drop_index(op.f("ix_service_sessions_ended_at"), table_name="service_sessions")
    op.drop_index(op.f("ix_service_sessions_terminal_id"), table_name="service_sessions")
    op.drop_table("service_sessions")
