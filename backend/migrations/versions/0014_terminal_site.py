"""A terminal's site (网点: the police station it stands at), given at enrolment
(`kiosk enroll --site`, `[terminal] site`) or by an administrator; terminals enrolled
before have none, and the console takes their site from the name as before
(backend/tables.py terminal_site).

Revision ID: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"


def upgrade() -> None:
    with op.batch_alter_table("terminals") as batch:
        batch.add_column(sa.Column("site", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("terminals") as batch:
        batch.drop_column("site")
