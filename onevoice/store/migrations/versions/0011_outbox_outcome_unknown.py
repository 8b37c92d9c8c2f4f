"""outbox: outcome unknown since

What the outbox needs for exactly-once publishing on platforms that ignore Idempotency-Key (snac2
and other Mastodon-API servers; mastodon.social keeps a key for one hour only): when the first
attempt whose outcome is not known started, committed before the platform call, so that the next
attempt looks for the post it may have made before sending it again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from onevoice.store.models.base import UTCDateTime


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_unknown_since', UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('outcome_unknown_since')
