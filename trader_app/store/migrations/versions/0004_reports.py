"""Reports and risk events (issue 14): the daily and weekly reports (numbers as JSON, the HTML page) and the
kill-switch trips and resets they list.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'reports',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('scope', sa.String(length=200), nullable=False),
        sa.Column('start_ms', sa.BigInteger(), nullable=False),
        sa.Column('end_ms', sa.BigInteger(), nullable=False),
        sa.Column('created_ms', sa.BigInteger(), nullable=False),
        sa.Column('metrics', sa.Text(), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
        sa.UniqueConstraint('period', 'scope', 'start_ms', name=op.f('uq_reports_period_scope_start_ms')),
    )
    op.create_index('ix_reports_created', 'reports', ['created_ms'])
    op.create_table(
        'risk_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('ts_ms', sa.BigInteger(), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_events')),
    )
    op.create_index('ix_risk_events_ts', 'risk_events', ['ts_ms'])


def downgrade() -> None:
    op.drop_index('ix_risk_events_ts', table_name='risk_events')
    op.drop_table('risk_events')
    op.drop_index('ix_reports_created', table_name='reports')
    op.drop_table('reports')
