"""Idempotent signals: each recorded signal keeps its idempotency key and until when it holds (issue 10).

A webhook resent after a restart is matched on ``idem_key`` (the sender's ``signal_id``/``id``, else the
payload's hash) while ``idem_expires_ms`` (epoch ms UTC) has not passed, and answered with the first
signal's outcome instead of being executed again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('signals') as batch:
        batch.add_column(sa.Column('idem_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('idem_expires_ms', sa.BigInteger(), nullable=True))
        batch.create_index('ix_signals_idem_key', ['idem_key'])


def downgrade() -> None:
    with op.batch_alter_table('signals') as batch:
        batch.drop_index('ix_signals_idem_key')
        batch.drop_column('idem_expires_ms')
        batch.drop_column('idem_key')
