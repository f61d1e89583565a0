"""A terminal's site (网点: the police station it stands at), given at enrolment
(`kiosk enroll --site`, `[terminal] site`) or by an administrator; terminals enrolled
before have none, and the console takes their site from the name as before
(backend/tables.py terminal_site).

Revision ID: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.add_column("terminals", sa.Column("site", sa.String(length=80), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, SQLite's own too (3.35 and later): no copy of the
    # table, which the tables that refer to terminals (foreign keys on) would refuse
    op.drop_column("terminals", "site")
