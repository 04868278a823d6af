"""Venue-qualified bars: each bar belongs to (venue, symbol), so the same symbol on two venues keeps two
histories (issue 10, part 5). Existing bars are the paper venue's (the demo market and imported files).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VALUES = ('open', 'high', 'low', 'close', 'volume')


def _bars_table(name: str, with_venue: bool) -> None:
    keys = ['venue', 'symbol', 'interval', 'open_time_ms'] if with_venue else ['symbol', 'interval', 'open_time_ms']
    op.create_table(
        name,
        *([sa.Column('venue', sa.String(length=32), nullable=False)] if with_venue else []),
        sa.Column('symbol', sa.String(length=64), nullable=False),
        sa.Column('interval', sa.String(length=8), nullable=False),
        sa.Column('open_time_ms', sa.BigInteger(), nullable=False),
        *[sa.Column(v, sa.Text(), nullable=False) for v in _VALUES],
        sa.Column('closed', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(*keys, name=op.f('pk_bars')),
    )


def upgrade() -> None:
    # SQLite cannot change a primary key in place: copy into a new table, then swap.
    op.rename_table('bars', 'bars_v2')
    _bars_table('bars', with_venue=True)
    cols = 'symbol, interval, open_time_ms, open, high, low, close, volume, closed'
    op.execute(f"INSERT INTO bars (venue, {cols}) SELECT 'paper', {cols} FROM bars_v2")
    op.drop_table('bars_v2')


def downgrade() -> None:
    op.rename_table('bars', 'bars_v3')
    _bars_table('bars', with_venue=False)
    cols = 'symbol, interval, open_time_ms, open, high, low, close, volume, closed'
    op.execute(f"INSERT INTO bars ({cols}) SELECT {cols} FROM bars_v3 WHERE venue = 'paper'")
    op.drop_table('bars_v3')
