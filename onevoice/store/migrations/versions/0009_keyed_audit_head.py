"""keyed audit head

The audit head gets the seal that binds it to the audit key (`mac`, an HMAC over the head) and
the first event hashed with the key (`keyed_from`); events before it are the plain SHA-256 chain
of an installation that predates the key. Both stay empty until `onevoice init` seals the head
(see onevoice/audit.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed_from', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('mac')
        batch_op.drop_column('keyed_from')
