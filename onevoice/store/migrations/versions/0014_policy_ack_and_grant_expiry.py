"""policy acknowledgement and grant expiry

Before submitting a draft or a reply, a member acknowledges the active policy version (1.: only
authorized members use the channels, and they follow the policy): who acknowledged which version
when. A per-channel authorization may end: its end date, and when the reminder before it went out.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:00:00
"""
from alembic import op
import sqlalchemy as sa

from onevoice.store.models.base import UTCDateTime


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'policy_acknowledgements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('policy_version_id', sa.Integer(), nullable=False),
        sa.Column('acknowledged_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['policy_version_id'], ['policy_pack_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('member_id', 'policy_version_id'),
    )
    op.create_index('ix_policy_acknowledgements_member_id', 'policy_acknowledgements', ['member_id'])
    op.create_index('ix_policy_acknowledgements_policy_version_id', 'policy_acknowledgements',
                    ['policy_version_id'])
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('expires_at')
    op.drop_index('ix_policy_acknowledgements_policy_version_id', table_name='policy_acknowledgements')
    op.drop_index('ix_policy_acknowledgements_member_id', table_name='policy_acknowledgements')
    op.drop_table('policy_acknowledgements')
