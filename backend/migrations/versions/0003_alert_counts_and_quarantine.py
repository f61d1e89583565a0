"""Alerts counted rather than repeated (one per terminal and kind within a window),
and the records a terminal holds in quarantine, from its heartbeat.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("alerts") as table:
        table.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        table.add_column(sa.Column("last_at", sa.Float(), nullable=True))
    with op.batch_alter_table("terminals") as table:
        table.add_column(sa.Column("outbox_held", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("terminals") as table:
        table.drop_column("outbox_held")
    with op.batch_alter_table("alerts") as table:
        table.drop_column("last_at")
        table.drop_column("count")
