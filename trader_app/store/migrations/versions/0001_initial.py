"""Initial schema: every table of the store.

Money columns are TEXT holding exact Decimal strings; times are BIGINT epoch ms; enums their string value.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('broker', sa.String(length=40), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('base_currency', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('account_id', name=op.f('uq_accounts_account_id'))
    )

    op.create_table('balances',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Text(), nullable=False),
    sa.Column('locked', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'currency', name=op.f('pk_balances'))
    )

    op.create_table('bars',
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('interval', sa.String(length=8), nullable=False),
    sa.Column('open_time_ms', sa.BigInteger(), nullable=False),
    sa.Column('open', sa.Text(), nullable=False),
    sa.Column('high', sa.Text(), nullable=False),
    sa.Column('low', sa.Text(), nullable=False),
    sa.Column('close', sa.Text(), nullable=False),
    sa.Column('volume', sa.Text(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('symbol', 'interval', 'open_time_ms', name=op.f('pk_bars'))
    )

    op.create_table('fills',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('trade_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('price', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Text(), nullable=False),
    sa.Column('commission', sa.Text(), nullable=False),
    sa.Column('commission_asset', sa.String(length=16), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('venue_order_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fills')),
    sa.UniqueConstraint('account_id', 'trade_id', name=op.f('uq_fills_account_id_trade_id'))
    )
    op.create_index('ix_fills_order', 'fills', ['account_id', 'client_order_id'], unique=False)
    op.create_index('ix_fills_ts', 'fills', ['ts_ms'], unique=False)

    op.create_table('kv',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_kv'))
    )

    op.create_table('ledger',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Text(), nullable=False),
    sa.Column('cash_before', sa.Text(), nullable=False),
    sa.Column('cash_after', sa.Text(), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Text(), nullable=False),
    sa.Column('price', sa.Text(), nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=False),
    sa.Column('trade_id', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_ledger_entry_id'))
    )
    op.create_index('ix_ledger_account_ts', 'ledger', ['account_id', 'ts_ms'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('order_type', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Text(), nullable=False),
    sa.Column('price', sa.Text(), nullable=True),
    sa.Column('stop_price', sa.Text(), nullable=True),
    sa.Column('time_in_force', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.Column('updated_ms', sa.BigInteger(), nullable=False),
    sa.Column('venue_order_id', sa.String(length=128), nullable=False),
    sa.Column('filled_qty', sa.Text(), nullable=False),
    sa.Column('avg_fill_price', sa.Text(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('reduce_only', sa.Boolean(), nullable=False),
    sa.Column('signal_id', sa.String(length=64), nullable=True),
    sa.Column('group_name', sa.String(length=128), nullable=True),
    sa.Column('triggered', sa.Boolean(), nullable=False),
    sa.Column('fill_ids', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('account_id', 'client_order_id', name=op.f('uq_orders_account_id_client_order_id'))
    )
    op.create_index('ix_orders_account_status', 'orders', ['account_id', 'status'], unique=False)
    op.create_index('ix_orders_client_order_id', 'orders', ['client_order_id'], unique=False)
    op.create_index('ix_orders_created', 'orders', ['created_ms'], unique=False)
    op.create_index(op.f('ix_orders_group_name'), 'orders', ['group_name'], unique=False)
    op.create_index(op.f('ix_orders_signal_id'), 'orders', ['signal_id'], unique=False)

    op.create_table('positions',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Text(), nullable=False),
    sa.Column('avg_price', sa.Text(), nullable=False),
    sa.Column('realized_pnl', sa.Text(), nullable=False),
    sa.Column('last_price', sa.Text(), nullable=True),
    sa.Column('updated_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'symbol', name=op.f('pk_positions'))
    )

    op.create_table('signals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('signal_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('group_name', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('duplicate', sa.Boolean(), nullable=False),
    sa.Column('results', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signals')),
    sa.UniqueConstraint('signal_id', name=op.f('uq_signals_signal_id'))
    )
    op.create_index(op.f('ix_signals_group_name'), 'signals', ['group_name'], unique=False)
    op.create_index('ix_signals_ts', 'signals', ['ts_ms'], unique=False)

    op.create_table('strategy_groups',
    sa.Column('group_name', sa.String(length=128), nullable=False),
    sa.Column('market_type', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('group_name', name=op.f('pk_strategy_groups'))
    )

    op.create_table('strategy_instances',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('strategy', sa.String(length=128), nullable=False),
    sa.Column('group_name', sa.String(length=128), nullable=False),
    sa.Column('symbols', sa.Text(), nullable=False),
    sa.Column('interval', sa.String(length=8), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('running', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_strategy_instances'))
    )

    op.create_table('watchlist',
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_watchlist')),
    sa.UniqueConstraint('symbol', name=op.f('uq_watchlist_symbol'))
    )

    op.create_table('account_links',
    sa.Column('group_name', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('weight', sa.Text(), nullable=False),
    sa.Column('leverage', sa.Text(), nullable=False),
    sa.Column('max_positions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_name'], ['strategy_groups.group_name'], name=op.f('fk_account_links_group_name_strategy_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_name', 'account_id', name=op.f('pk_account_links'))
    )
    op.create_index(op.f('ix_account_links_account_id'), 'account_links', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_account_links_account_id'), table_name='account_links')
    op.drop_table('account_links')
    op.drop_table('watchlist')
    op.drop_table('strategy_instances')
    op.drop_table('strategy_groups')
    op.drop_index('ix_signals_ts', table_name='signals')
    op.drop_index(op.f('ix_signals_group_name'), table_name='signals')
    op.drop_table('signals')
    op.drop_table('positions')
    op.drop_index(op.f('ix_orders_signal_id'), table_name='orders')
    op.drop_index(op.f('ix_orders_group_name'), table_name='orders')
    op.drop_index('ix_orders_created', table_name='orders')
    op.drop_index('ix_orders_client_order_id', table_name='orders')
    op.drop_index('ix_orders_account_status', table_name='orders')
    op.drop_table('orders')
    op.drop_index('ix_ledger_account_ts', table_name='ledger')
    op.drop_table('ledger')
    op.drop_table('kv')
    op.drop_index('ix_fills_ts', table_name='fills')
    op.drop_index('ix_fills_order', table_name='fills')
    op.drop_table('fills')
    op.drop_table('bars')
    op.drop_table('balances')
    op.drop_table('accounts')
