"""The first schema: terminals and their enrolment, records, the services' tables,
the payment gateway simulator's orders.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.Float(), nullable=False),
        sa.Column("cleared_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_alerts_terminal_id"), "alerts", ["terminal_id"], unique=False)
    op.create_table(
        "citizens",
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("card_expires", sa.String(length=10), nullable=False),
        sa.Column("collective_household", sa.Boolean(), nullable=False),
        sa.Column("first_application", sa.Boolean(), nullable=False),
        sa.Column("state_employee", sa.Boolean(), nullable=False),
        sa.Column("criminal_record", sa.Boolean(), nullable=False),
        sa.Column("exit_entry_hold", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id_number"),
    )
    op.create_table(
        "enrolment_codes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.Column("terminal_id", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "payment_orders",
        sa.Column("out_trade_no", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=80), nullable=False),
        sa.Column("auth_code_masked", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("paid_at", sa.Float(), nullable=True),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("reverse_calls", sa.Integer(), nullable=False),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("refunds", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("out_trade_no"),
    )
    op.create_index(
        op.f("ix_payment_orders_created_at"), "payment_orders", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_payment_orders_terminal_id"), "payment_orders", ["terminal_id"], unique=False
    )
    op.create_table(
        "proofs",
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("doc_type", sa.String(length=4), nullable=False),
        sa.Column("id_hmac", sa.String(length=32), nullable=False),
        sa.Column("issued", sa.String(length=8), nullable=False),
        sa.Column("expires", sa.String(length=8), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("serial"),
    )
    op.create_index(op.f("ix_proofs_id_hmac"), "proofs", ["id_hmac"], unique=False)
    op.create_table(
        "ratings",
        sa.Column("transaction", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("transaction"),
    )
    op.create_index(op.f("ix_ratings_terminal_id"), "ratings", ["terminal_id"], unique=False)
    op.create_table(
        "seen_nonces",
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "nonce"),
    )
    op.create_index(op.f("ix_seen_nonces_seen_at"), "seen_nonces", ["seen_at"], unique=False)
    op.create_table(
        "terminals",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("enrolled_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.Column("software_version", sa.String(length=40), nullable=False),
        sa.Column("last_heartbeat_at", sa.Float(), nullable=True),
        sa.Column("drift_s", sa.Float(), nullable=True),
        sa.Column("devices", sa.JSON(), nullable=False),
        sa.Column("consumables", sa.JSON(), nullable=False),
        sa.Column("outbox_depth", sa.Integer(), nullable=False),
        sa.Column("outbox_oldest_age_s", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_key"),
    )
    op.create_table(
        "permits",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("booklet", sa.Boolean(), nullable=False),
        sa.Column("expires", sa.String(length=10), nullable=False),
        sa.Column("endorsements_used", sa.Integer(), nullable=False),
        sa.Column("last_endorsed", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["id_number"],
            ["citizens.id_number"],
        ),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "records",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_records_kind"), "records", ["kind"], unique=False)
    op.create_index(op.f("ix_records_received_at"), "records", ["received_at"], unique=False)
    op.create_index(op.f("ix_records_terminal_id"), "records", ["terminal_id"], unique=False)
    op.create_table(
        "photos",
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("record_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_seq"],
            ["records.seq"],
        ),
        sa.PrimaryKeyConstraint("receipt"),
    )


def downgrade() -> None:
    op.drop_table("photos")
    op.drop_index(op.f("ix_records_terminal_id"), table_name="records")
    op.drop_index(op.f("ix_records_received_at"), table_name="records")
    op.drop_index(op.f("ix_records_kind"), table_name="records")
    op.drop_table("records")
    op.drop_table("permits")
    op.drop_table("terminals")
    op.drop_index(op.f("ix_seen_nonces_seen_at"), table_name="seen_nonces")
    op.drop_table("seen_nonces")
    op.drop_index(op.f("ix_ratings_terminal_id"), table_name="ratings")
    op.drop_table("ratings")
    op.drop_index(op.f("ix_proofs_id_hmac"), table_name="proofs")
    op.drop_table("proofs")
    op.drop_index(op.f("ix_payment_orders_terminal_id"), table_name="payment_orders")
    op.drop_index(op.f("ix_payment_orders_created_at"), table_name="payment_orders")
    op.drop_table("payment_orders")
    op.drop_table("enrolment_codes")
    op.drop_table("citizens")
    op.drop_index(op.f("ix_alerts_terminal_id"), table_name="alerts")
    op.drop_table("alerts")
