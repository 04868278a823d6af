"""Table models: dataChanged for changed rows only, never a reset per update; Decimal formatting."""

from decimal import Decimal

from trader_app.core.enums import LedgerKind, MarketType, OrderStatus, OrderType, Side, TimeInForce
from trader_app.core.instrument import Instrument
from trader_app.core.market_data import Quote
from trader_app.core.orders import Fill, Order
from trader_app.core.portfolio import LedgerEntry, Position
from trader_app.ui.models import FillsModel, Formats, LedgerModel, OpenOrdersModel, PositionsModel, WatchlistModel
from trader_app.ui.models.base import RAW_ROLE, Column, KeyedTableModel
from trader_app.ui.models.format import fixed, pct, places_of

BTC = Instrument("BTC/USDT", "paper", MarketType.SPOT, "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"))
KRX = Instrument("005930", "paper", MarketType.STOCK, "005930", "KRW", Decimal("100"), Decimal("1"))


class Spy:
    def __init__(self, model):
        self.changed, self.resets, self.inserted, self.removed = [], 0, [], []
        model.dataChanged.connect(lambda tl, br: self.changed.append((tl.row(), br.row(), tl.column(), br.column())))
        model.modelReset.connect(self._reset)
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))

    def _reset(self):
        self.resets += 1


def pos(symbol="BTC/USDT", qty="1", avg="100", last=None, account="a1"):
    return Position(account, symbol, Decimal(qty), Decimal(avg), last_price=None if last is None else Decimal(last))


def test_upsert_emits_data_changed_for_changed_rows_only(qapp):
    model = KeyedTableModel([Column("k", lambda r: r[0]), Column("v", lambda r: r[1])], key=lambda r: r[0])
    spy = Spy(model)
    model.upsert([("a", 1), ("b", 2), ("c", 3), ("d", 4)])
    assert spy.inserted == [(0, 3)] and spy.resets == 0
    model.upsert([("a", 1), ("b", 20), ("c", 30), ("d", 4)])  # a, d unchanged
    assert spy.changed == [(1, 2, 0, 1)]  # one contiguous run b..c, all columns
    model.upsert([("a", 10), ("d", 40)])
    assert spy.changed[1:] == [(0, 0, 0, 1), (3, 3, 0, 1)]
    assert spy.resets == 0
    assert model.remove(["b", "zz"]) == 1
    assert spy.removed == [(1, 1)]
    assert model.keys() == ["a", "c", "d"] and model.row_of("d") == 2


def test_newest_first_and_cap(qapp):
    model = KeyedTableModel([Column("k", lambda r: r)], key=lambda r: r, newest_first=True, max_rows=3)
    model.upsert([1, 2])
    model.upsert([3, 4])
    assert model.records() == [4, 3, 2]


def test_watchlist_quotes_update_only_their_rows_and_format_to_tick(qapp):
    model = WatchlistModel(Formats([BTC, KRX]))
    model.set_symbols(["BTC/USDT", "005930", "AAPL"])
    spy = Spy(model)
    q = Quote("005930", 1, Decimal("71900"), Decimal("72000"), Decimal("72000"), Decimal("10"), Decimal("70000"))
    model.on_quotes({"005930": q})
    assert spy.changed == [(1, 1, 0, 11)] and spy.resets == 0
    idx = lambda col: model.index(1, col)  # noqa: E731
    assert model.data(idx(1)) == "72,000"
    assert model.data(idx(2)) == "+2.86%"  # (72000 - 70000) / 70000
    assert model.data(idx(3)) == "71,900"
    assert model.data(idx(5)) == "10"
    assert model.data(idx(1), RAW_ROLE) == 72000.0
    model.on_quotes({"005930": q})  # the same quote object again: nothing changes
    assert len(spy.changed) == 1


def test_watchlist_aggregates_positions_across_accounts(qapp):
    model = WatchlistModel(Formats([BTC]))
    model.set_symbols(["BTC/USDT"])
    model.on_positions([pos(qty="1", avg="100", account="a1"), pos(qty="3", avg="200", account="a2")])
    row = model.record(0)
    assert row.position_qty == Decimal("4")
    assert row.avg_price == Decimal("175")  # (1*100 + 3*200) / 4
    model.on_quotes({"BTC/USDT": Quote("BTC/USDT", 1, Decimal("209.99"), Decimal("210.01"), Decimal("210"))})
    assert model.record(0).profit_pct == Decimal("20")  # (210 - 175) / 175 * 100
    assert model.data(model.index(0, 10)) == "+20.00%"


def test_positions_mark_and_flat_removal(qapp):
    model = PositionsModel(Formats([BTC]), {"a1": "Paper 1"})
    spy = Spy(model)
    model.apply([pos(qty="2", avg="100"), pos(symbol="ETH/USDT", qty="1", avg="10")])
    model.mark({"BTC/USDT": Quote("BTC/USDT", 1, Decimal("109"), Decimal("111"), Decimal("110"))})
    assert spy.changed == [(0, 0, 0, 8)]
    p = model.record(0)
    assert p.unrealized_pnl == Decimal("20")  # (110 - 100) * 2
    assert model.data(model.index(0, 0)) == "Paper 1"
    assert model.data(model.index(0, 6)) == "20.00"
    model.apply([pos(qty="2", avg="100")])  # an update without a mark keeps the last mark
    assert model.record(0).last_price == Decimal("110")
    model.apply([pos(qty="0", avg="0")])
    assert [r.symbol for r in model.records()] == ["ETH/USDT"]
    assert spy.resets == 0


def test_open_orders_leave_when_final(qapp):
    def order(coid, status, filled="0"):
        return Order("a1", coid, "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("0.5"), Decimal("60000"), None,
                     TimeInForce.GTC, status, 1, 1, filled_qty=Decimal(filled))

    model = OpenOrdersModel(Formats([BTC]))
    spy = Spy(model)
    model.apply([order("c1", OrderStatus.NEW), order("c2", OrderStatus.NEW)])
    assert [o.client_order_id for o in model.records()] == ["c2", "c1"]
    model.apply([order("c1", OrderStatus.PARTIALLY_FILLED, "0.1")])
    assert spy.changed == [(1, 1, 0, 11)]
    assert model.data(model.index(1, 6)) == "0.10000"
    assert model.data(model.index(1, 7)) == "60,000.00"
    model.apply([order("c1", OrderStatus.CANCELLED, "0.1")])
    assert [o.client_order_id for o in model.records()] == ["c2"]
    assert spy.resets == 0


def test_fills_and_ledger_are_idempotent_and_newest_first(qapp):
    fills = FillsModel(Formats([BTC]))
    f1 = Fill("t1", "a1", "c1", "BTC/USDT", Side.BUY, Decimal("65000"), Decimal("0.5"), Decimal("32.5"), "USDT", 1)
    f2 = Fill("t2", "a1", "c2", "BTC/USDT", Side.SELL, Decimal("65100"), Decimal("0.2"), Decimal("13.02"), "USDT", 2)
    fills.apply([f1])
    fills.apply([f2, f1])
    assert [f.trade_id for f in fills.records()] == ["t2", "t1"]
    assert fills.data(fills.index(1, 6)) == "32,500.00"
    assert fills.data(fills.index(1, 7)) == "32.5000 USDT"
    ledger = LedgerModel(Formats([BTC]))
    e = LedgerEntry("e1", "a1", 1, LedgerKind.BUY, "USDT", Decimal("-32500"), Decimal("100000"), Decimal("67500"),
                    "BTC/USDT", Decimal("0.5"), Decimal("65000"))
    ledger.apply([e, e])
    assert ledger.rowCount() == 1
    assert [ledger.data(ledger.index(0, c)) for c in (2, 4, 5, 6)] == ["BUY", "-32,500.00", "100,000.00", "67,500.00"]


def test_format_helpers():
    assert places_of(Decimal("0.00001")) == 5
    assert places_of(Decimal("100")) == 0
    assert fixed(Decimal("1234.565"), 2) == "1,234.57"
    assert fixed(Decimal("-0.0000001"), 2) == "0.00" and fixed(Decimal("-0.006"), 2) == "-0.01"  # never "-0.00"
    assert pct(Decimal("-0.5")) == "-0.50%"


def test_sort_by_raw_value_keeps_keys_and_empty_values_last(qapp):
    from PySide6.QtCore import Qt

    model = KeyedTableModel([Column("k", lambda r: r[0]), Column("v", lambda r: r[1])], key=lambda r: r[0])
    model.upsert([("a", Decimal("10")), ("b", None), ("c", Decimal("2")), ("d", Decimal("33"))])
    spy = Spy(model)
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert model.keys() == ["c", "a", "d", "b"]
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert model.keys() == ["d", "a", "c", "b"]
    assert model.row_of("c") == 2 and model.get("c") == ("c", Decimal("2"))
    model.upsert([("c", Decimal("3"))])
    assert spy.changed == [(2, 2, 0, 1)] and spy.resets == 0
