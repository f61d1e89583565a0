"""Forecasts and early warnings (#24 part 4, backend/forecast.py): a sparse history of
the terminals' consumable levels (a sample when a level changed or an hour after the
last one, decided by the heartbeat's one UPDATE from the two new `terminals` columns),
and the tracked warnings: raised → acknowledged → resolved, who and when.

Revision ID: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.add_column("terminals", sa.Column("levels_sampled", sa.Text(), nullable=True))
    op.add_column("terminals", sa.Column("levels_sampled_at", sa.Float(), nullable=True))
    op.create_table(
        "consumable_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_consumable_samples_at"), "consumable_samples", ["at"])
    op.create_index("ix_consumable_samples_terminal_at", "consumable_samples",
                    ["terminal_id", "at"])  # fmt: skip
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("open_key", sa.String(length=140), nullable=True),
        sa.Column("terminal_id", sa.String(length=16), nullable=True),
        sa.Column("site", sa.String(length=80), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("raised_at", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.Column("acknowledged_at", sa.Float(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index(op.f("ix_warnings_state"), "warnings", ["state"])
    op.create_index(op.f("ix_warnings_raised_at"), "warnings", ["raised_at"])


def downgrade() -> None:
    # who acknowledged and resolved what stays in the audit log
    op.drop_index(op.f("ix_warnings_raised_at"), table_name="warnings")
    op.drop_index(op.f("ix_warnings_state"), table_name="warnings")
    op.drop_table("warnings")
    op.drop_index("ix_consumable_samples_terminal_at", table_name="consumable_samples")
    op.drop_index(op.f("ix_consumable_samples_at"), table_name="consumable_samples")
    op.drop_table("consumable_samples")
    op.drop_column("terminals", "levels_sampled_at")
    op.drop_column("terminals", "levels_sampled")
