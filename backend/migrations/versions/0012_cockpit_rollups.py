"""数据驾驶舱 at scale: daily roll-ups of the sessions' ends per site and service
(backend/rollups.py), filled here from the `service_sessions` already kept; and the
ratings indexed by receipt time, for satisfaction over a window (docs/cockpit.md).

Revision ID: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_table(
        "session_days",
        sa.Column("site", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("measure", sa.String(length=1), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site", "day", "service", "measure", "key", "bucket"),
    )
    op.create_index(
        "ix_ratings_window", "ratings", ["received_at", "terminal_id", "service", "stars"]
    )
    # the backfill counts as ingest does (one definition of a session's counts); a
    # later change of that definition comes with a migration that rebuilds them
    from backend.rollups import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    # the roll-ups are made from service_sessions, which stay
    op.drop_index("ix_ratings_window", table_name="ratings")
    op.drop_table("session_days")
