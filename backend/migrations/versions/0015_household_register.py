"""The household register as the proofs read it (户籍, 居住, 出生, 死亡 登记, and the
relations between citizens): columns on the seeded citizens and a kinships table.
Citizens seeded before this revision have none of it until the registry seeds it
(backend/registry.py seed, at the next start).

Revision ID: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"

COLUMNS = (
    ("household_address", 120),
    ("residence_address", 120),
    ("residence_since", 10),
    ("birth_place", 120),
    ("birth_registered", 10),
    ("died_on", 10),
)


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column("citizens", sa.Column(name, sa.String(length=length), nullable=True))
    op.create_table(
        "kinships",
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("relative", sa.String(length=18), nullable=False),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["id_number"], ["citizens.id_number"]),
        sa.ForeignKeyConstraint(["relative"], ["citizens.id_number"]),
        sa.PrimaryKeyConstraint("id_number", "relative"),
    )


def downgrade() -> None:
    op.drop_table("kinships")
    for name, _ in reversed(COLUMNS):
        op.drop_column("citizens", name)
