"""Package updates staged terminal by terminal (`kiosk-backend release`): the version
staged for each terminal and when, the version it reports on probation, and the
outcome of its last update (docs/updates.md).

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.add_column("terminals", sa.Column("staged_version", sa.String(length=40), nullable=True))
    op.add_column("terminals", sa.Column("staged_at", sa.Float(), nullable=True))
    op.add_column("terminals", sa.Column("update_probation", sa.String(length=40), nullable=True))
    op.add_column("terminals", sa.Column("last_update", sa.JSON(), nullable=True))


def downgrade() -> None:
    # the outcomes stay in their update_outcome records; only the staging is forgotten
    op.drop_column("terminals", "last_update")
    op.drop_column("terminals", "update_probation")
    op.drop_column("terminals", "staged_at")
    op.drop_column("terminals", "staged_version")
