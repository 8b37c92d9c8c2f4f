"""response approvals: pre-approval of playbook responses is a committee decision

A playbook's `pre_approved: true` no longer grants anything. A response is pre-approved for a
channel when a draft of its exact text went through screening and the channel's quorum; this table
freezes that draft, its revision and its text.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import onevoice.store.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('response_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook', sa.String(length=100), nullable=False),
    sa.Column('response', sa.String(length=100), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=True),
    sa.Column('proposed_at', onevoice.store.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', onevoice.store.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_response_approvals_channel_id_channels')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_response_approvals_draft_id_drafts'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_by'], ['members.id'], name=op.f('fk_response_approvals_proposed_by_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_approvals')),
    sa.UniqueConstraint('draft_id', name=op.f('uq_response_approvals_draft_id'))
    )
    with op.batch_alter_table('response_approvals', schema=None) as batch_op:
        batch_op.create_index('ix_response_approvals_key', ['playbook', 'response', 'channel_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('response_approvals', schema=None) as batch_op:
        batch_op.drop_index('ix_response_approvals_key')
    op.drop_table('response_approvals')
