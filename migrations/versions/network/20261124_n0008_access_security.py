"""Access security: password changes, lock-out, two-factor, sessions (issue #7).

Revision ID: n0008
Revises: n0007
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'n0008'
down_revision = 'n0007'
branch_labels = None
depends_on = None


COLUMNS = ("failed_logins", "locked_until", "last_failed_login_at", "password_changed_at",
           "totp_secret", "totp_enabled_at", "totp_last_counter", "recovery_codes")


def upgrade():
    # Lock-out (server/auth/lockout.py).
    op.add_column('account', sa.Column('failed_logins', sa.Integer(), server_default='0',
                                       nullable=False), schema='network')
    op.add_column('account', sa.Column('locked_until', sa.DateTime(timezone=True)),
                  schema='network')
    op.add_column('account', sa.Column('last_failed_login_at', sa.DateTime(timezone=True)),
                  schema='network')
    op.add_column('account', sa.Column('password_changed_at', sa.DateTime(timezone=True)),
                  schema='network')
    # Two-factor log-in (server/auth/two_factor.py): the secret is Fernet-encrypted.
    op.add_column('account', sa.Column('totp_secret', sa.Text()), schema='network')
    op.add_column('account', sa.Column('totp_enabled_at', sa.DateTime(timezone=True)),
                  schema='network')
    op.add_column('account', sa.Column('totp_last_counter', sa.BigInteger()), schema='network')
    op.add_column('account', sa.Column('recovery_codes', postgresql.ARRAY(sa.String(length=64)),
                                       server_default='{}', nullable=False), schema='network')


def downgrade():
    for column in reversed(COLUMNS):
        op.drop_column('account', column, schema='network')
