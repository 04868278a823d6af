"""Agreement with an established open-source backtester: backtesting.py (kernc/backtesting.py).

Identical rules on both sides: SMA crossover on the GOOG daily bars that ship with backtesting.py
(2004-08-19 .. 2013-03-01, 2,148 bars), cash 10,000, commission 0.2 % of notional on every fill, market
orders decided at a bar's close fill at the next bar's open, whole units, all equity per position
(backtesting.py: ``position.close(); buy()`` / ``sell()`` with the default size, sized at the fill price
including the commission, as ours).

One documented difference: backtesting.py (``finalize_trades=False``) leaves the last trade open and marks
it at the final close; we close it at the final close and pay the exit commission. So its trade count is
its closed trades + 1, and its final equity minus that exit commission is compared with ours.
"""

import warnings
from decimal import Decimal

import pandas as pd
import pytest

backtesting = pytest.importorskip("backtesting")
from backtesting import Backtest  # noqa: E402
from backtesting import Strategy as BtStrategy  # noqa: E402
from backtesting.lib import crossover  # noqa: E402
from backtesting.test import GOOG, SMA  # noqa: E402

from trader_app.backtest.engine import BacktestConfig, run_backtest  # noqa: E402
from trader_app.strategies import BarData, SmaCross  # noqa: E402

COMMISSION = 0.002
CASH = 10_000


class BtSmaCross(BtStrategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


def _goog() -> BarData:
    frame = GOOG.rename(columns=str.lower)
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
    return BarData.from_frame(frame, "GOOG")


@pytest.mark.parametrize(("fast", "slow"), [(10, 20), (5, 30)])
def test_sma_cross_agrees_with_backtesting_py(fast, slow):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(GOOG, BtSmaCross, cash=CASH, commission=COMMISSION).run(n1=fast, n2=slow)
    bt_trades = stats._trades  # closed trades only
    bt_closed = len(bt_trades)
    open_size = int(stats._strategy.position.size)  # the trade still open at the end
    assert open_size != 0
    bt_final = float(stats["Equity Final [$]"]) - abs(open_size) * float(GOOG.Close.iloc[-1]) * COMMISSION

    ours = run_backtest(SmaCross(fast=fast, slow=slow), _goog(),
                        BacktestConfig(cash=Decimal(CASH), commission=Decimal(str(COMMISSION)), lot_size=Decimal(1)))

    # same trade count
    assert ours.metrics["trades"] == bt_closed + 1
    # the same trades: size, entry/exit bar, entry/exit price
    for mine, (_, theirs) in zip(ours.trades, bt_trades.iterrows()):
        size = int(mine.quantity) * (1 if mine.side == "LONG" else -1)
        assert size == int(theirs["Size"])
        assert mine.entry_bar == int(theirs["EntryBar"])
        assert float(mine.entry_price) == pytest.approx(float(theirs["EntryPrice"]), rel=1e-12)
        assert mine.exit_bar == int(theirs["ExitBar"])
        assert float(mine.exit_price) == pytest.approx(float(theirs["ExitPrice"]), rel=1e-12)
        assert float(mine.pnl) == pytest.approx(float(theirs["PnL"]), rel=1e-9, abs=1e-6)
    # final equity within 0.1 %
    diff = abs(float(ours.final_equity) - bt_final) / bt_final
    last = ours.trades[-1]
    assert int(last.quantity) * (1 if last.side == "LONG" else -1) == open_size
    assert last.exit_tag == "end_of_data"
    print(f"sma_cross({fast},{slow}) on GOOG: trades {ours.metrics['trades']} vs {bt_closed} closed + 1 open; "
          f"final equity {ours.final_equity} vs backtesting.py {bt_final:.5f}; difference {diff:.3e}")
    assert diff < 0.001
    # commissions: backtesting.py's figure covers its closed trades; add the open trade's entry and our exit
    open_entry = float(stats._strategy.trades[-1].entry_price)
    open_fees = abs(open_size) * (open_entry + float(GOOG.Close.iloc[-1])) * COMMISSION
    assert float(ours.commissions) == pytest.approx(float(stats["Commissions [$]"]) + open_fees, rel=1e-9)
