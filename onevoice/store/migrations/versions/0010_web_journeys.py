"""web journeys

What the committee's web app keeps (issue: the web app a clinician committee can run by itself):
each member's time zone; one-time links for invitations and password resets; a comment's
assignee and snooze; what the last connection test of a channel reached and since when its
credentials fail; the outbox's mark for a response fast-tracked in a crisis (not paused by
crisis mode); a report's progress while it is made.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00
"""
from alembic import op
import sqlalchemy as sa

from onevoice.store.models.base import UTCDateTime


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
    op.create_table(
        'member_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_member_links_member_id', 'member_links', ['member_id'])
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('account', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('credentials_failing_since', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('credentials_error', sa.Text(), nullable=True))
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('snoozed_until', UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_comments_assigned_to', 'members', ['assigned_to'], ['id'])
        batch_op.create_index('ix_comments_assigned_to', ['assigned_to'])
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fast_track', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('evaluation_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('evaluation_reports', schema=None) as batch_op:
        batch_op.drop_column('progress')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('fast_track')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_assigned_to')
        batch_op.drop_constraint('fk_comments_assigned_to', type_='foreignkey')
        batch_op.drop_column('snoozed_until')
        batch_op.drop_column('assigned_to')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('credentials_error')
        batch_op.drop_column('credentials_failing_since')
        batch_op.drop_column('account')
        batch_op.drop_column('checked_at')
    op.drop_index('ix_member_links_member_id', table_name='member_links')
    op.drop_table('member_links')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('timezone')
