"""two-factor sign-in and token scopes

Two-factor sign-in (TOTP, RFC 6238): a member's secret sealed with the credential box, when it was
confirmed, the last time step used (no code twice); one-time recovery codes, hashed like
passwords; the organization's settings changed from the admin pages (two-factor required for the
committee, chair and admin roles). API tokens get scopes and an expiry: a token made before this
revision gets every scope its member's roles allow and no expiry, so nothing that works stops.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00
"""
from alembic import op
import sqlalchemy as sa

from onevoice.store.models.base import UTCDateTime


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# The scopes each role allows, as permissions.allowed_scopes computed them at this revision
# (frozen here: a migration must not change when the permission table does later).
ROLE_SCOPES = {
    'member': {'read', 'draft'},
    'authorized': {'read', 'draft'},
    'committee': {'read', 'draft', 'review'},
    'vice_chair': {'read', 'draft', 'review'},
    'chair': {'read', 'draft', 'review', 'admin'},
    'admin': {'read', 'draft', 'review', 'admin'},
}
ORDER = ('read', 'draft', 'review', 'admin')


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recovery_codes_member_id', 'recovery_codes', ['member_id'])
    op.create_table(
        'org_settings',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['members.id']),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=100), nullable=False, server_default='read'))
        batch_op.add_column(sa.Column('expires_at', UTCDateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    grants: dict[int, set[str]] = {}
    for member_id, role in conn.execute(sa.text('SELECT member_id, role FROM role_grants')):
        grants.setdefault(member_id, set()).add(role)
    tokens = sa.table('api_tokens', sa.column('id', sa.Integer()), sa.column('scopes', sa.String()))
    for token_id, member_id in conn.execute(sa.text('SELECT id, member_id FROM api_tokens')).all():
        scopes = set().union(*(ROLE_SCOPES.get(r, set()) for r in grants.get(member_id, set()) | {'member'}))
        conn.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(scopes=' '.join(s for s in ORDER if s in scopes)))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scopes')
    op.drop_table('org_settings')
    op.drop_index('ix_recovery_codes_member_id', table_name='recovery_codes')
    op.drop_table('recovery_codes')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
