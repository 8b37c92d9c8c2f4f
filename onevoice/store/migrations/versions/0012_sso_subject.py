"""members: single sign-on subject; sso_uses

Single sign-on with OpenID Connect (onevoice/governance/sso.py): the first SSO sign-in links a
member (matched by their verified e-mail) to the provider's issuer and subject id, and later
sign-ins match by that pair, unique across members. Each state and id_token that was used is kept
(a SHA-256 of it), so neither is accepted twice.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:00:00
"""
from alembic import op
import sqlalchemy as sa

from onevoice.store.models.base import UTCDateTime


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_issuer', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('sso_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_members_sso', ['sso_issuer', 'sso_subject'])
    op.create_table(
        'sso_uses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'),
    )
    with op.batch_alter_table('sso_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_uses_used_at'), ['used_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sso_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_uses_used_at'))
    op.drop_table('sso_uses')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint('uq_members_sso', type_='unique')
        batch_op.drop_column('sso_subject')
        batch_op.drop_column('sso_issuer')
