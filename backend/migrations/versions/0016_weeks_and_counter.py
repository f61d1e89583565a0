"""数据驾驶舱: the roll-ups by week beside the days' (a 90-day question sums 12 weeks and a
few loose days, read by an index on the day), filled here from the days'; and the
counter applications the bureau's counter system reports, per day, site and service
(no personal data), for the self-service share (backend/counter.py, docs/cockpit.md).

Revision ID: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    op.create_table(
        "session_weeks",
        sa.Column("site", sa.String(length=80), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("measure", sa.String(length=1), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site", "week", "service", "measure", "key", "bucket"),
    )
    op.create_index("ix_session_days_day", "session_days", ["day"])
    op.create_table(
        "counter_applications",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=80), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.Float(), nullable=False),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("day", "site", "service"),
    )
    # the weeks are the days summed (one definition: the backend's own)
    from backend.rollups import rebuild_weeks

    rebuild_weeks(op.get_bind())


def downgrade() -> None:
    # the weeks are made from the days, which stay; the counter's figures go with it
    op.drop_table("counter_applications")
    op.drop_index("ix_session_days_day", table_name="session_days")
    op.drop_table("session_weeks")
