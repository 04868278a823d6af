"""The fake Binance's USD-M futures accounts: one-way (or hedge, to be refused) position mode, a USDT wallet,
net positions with entry price and realized PnL, margin checked at the account's leverage, reduce-only, stop
orders, trades, and the listenKey user-data events (``ORDER_TRADE_UPDATE``, ``ACCOUNT_UPDATE``,
``listenKeyExpired``), per https://developers.binance.com/docs/derivatives/usds-margined-futures (trade,
account and user-data-streams sections). Errors: -2019 "Margin is insufficient.", -2022 "ReduceOnly Order is
rejected.", -4116 "ClientOrderId is duplicated.", -1125 "This listenKey does not exist.", -2013/-2011."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from .accounts import Account, BinanceError

D = Decimal


def _f(d: Decimal) -> str:
    return f"{d:.8f}"


@dataclass
class FuturesBook:
    wallet: Decimal
    dual_side: bool = False
    leverage: dict[str, int] = field(default_factory=dict)
    positions: dict[str, list[Decimal]] = field(default_factory=dict)  # symbol -> [amount, entry]
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    listen_key: str = ""
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def emit(self, event: dict[str, Any]) -> None:
        for fn in list(self.listeners):
            fn(event)


class Futures:
    """Futures books keyed by API key (the key's spot ``Account`` authenticates)."""

    def __init__(self, venue: Any) -> None:
        self.venue = venue
        self.books: dict[str, FuturesBook] = {}
        self._ids = itertools.count(800_000)
        self._trade_ids = itertools.count(900_000)
        self.placed = 0

    def open(self, api_key: str, wallet: str, *, dual_side: bool = False) -> FuturesBook:
        book = self.books[api_key] = FuturesBook(D(wallet), dual_side)
        return book

    def book(self, acc: Account) -> FuturesBook:
        book = self.books.get(acc.api_key)
        if book is None:
            raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return book

    def by_key(self, listen_key: str) -> FuturesBook | None:
        for book in self.books.values():
            if book.listen_key and book.listen_key == listen_key:
                return book
        return None

    # ---- account ---------------------------------------------------------------------------------------
    def _margin_used(self, book: FuturesBook) -> Decimal:
        used = D(0)
        for sym, (amt, entry) in book.positions.items():
            used += abs(amt) * entry / book.leverage.get(sym, 20)
        for o in book.orders.values():
            if o["status"] == "NEW":
                px = D(o["price"]) if D(o["price"]) > 0 else self.venue.prices[o["symbol"]]
                used += D(o["origQty"]) * px / book.leverage.get(o["symbol"], 20)
        return used

    def balance_json(self, book: FuturesBook) -> list[dict[str, Any]]:
        avail = book.wallet - self._margin_used(book)
        return [{"accountAlias": "SgsR", "asset": "USDT", "balance": _f(book.wallet), "crossWalletBalance": _f(book.wallet),
                 "crossUnPnl": "0.00000000", "availableBalance": _f(avail), "maxWithdrawAmount": _f(avail),
                 "marginAvailable": True, "updateTime": self.venue.server_ms()}]

    def position_risk(self, book: FuturesBook) -> list[dict[str, Any]]:
        out = []
        for spec in self.venue.symbols:
            amt, entry = book.positions.get(spec.symbol, [D(0), D(0)])
            mark = self.venue.prices.get(spec.symbol, D(0))
            out.append({"symbol": spec.symbol, "positionAmt": _f(amt), "entryPrice": _f(entry), "markPrice": _f(mark),
                        "unRealizedProfit": _f((mark - entry) * amt), "liquidationPrice": "0",
                        "leverage": str(book.leverage.get(spec.symbol, 20)), "marginType": "cross",
                        "positionSide": "BOTH", "updateTime": self.venue.server_ms()})
        return out

    # ---- orders ----------------------------------------------------------------------------------------
    def place(self, acc: Account, p: dict[str, str]) -> dict[str, Any]:
        book = self.book(acc)
        spec = next((s for s in self.venue.symbols if s.symbol == p.get("symbol")), None)
        if spec is None:
            raise BinanceError(-1121, "Invalid symbol.")
        kind, side = p.get("type"), p.get("side")
        if kind not in ("MARKET", "LIMIT", "STOP_MARKET", "STOP") or side not in ("BUY", "SELL"):
            raise BinanceError(-1116, "Invalid orderType.")
        cid = p.get("newClientOrderId", f"x-{next(self._ids)}")
        if any(o["clientOrderId"] == cid and o["status"] == "NEW" for o in book.orders.values()):
            raise BinanceError(-4116, "ClientOrderId is duplicated.")
        qty = D(p["quantity"])
        if qty < D(spec.min_qty) or qty % D(spec.step) != 0:
            raise BinanceError(-1111, "Precision is over the maximum defined for this asset.")
        price = D(p.get("price", "0"))
        last = self.venue.prices[spec.symbol]
        if qty * (price or last) < D(spec.min_notional):
            raise BinanceError(-4164, f"Order's notional must be no smaller than {spec.min_notional} (unless you choose reduce only).")
        amt = book.positions.get(spec.symbol, [D(0), D(0)])[0]
        signed = qty if side == "BUY" else -qty
        reduce = p.get("reduceOnly") == "true"
        if reduce and (amt == 0 or (amt > 0) == (signed > 0) or abs(signed) > abs(amt)):
            raise BinanceError(-2022, "ReduceOnly Order is rejected.")
        opening = max(D(0), abs(amt + signed) - abs(amt))
        if opening * (price or last) / book.leverage.get(spec.symbol, 20) > book.wallet - self._margin_used(book):
            raise BinanceError(-2019, "Margin is insufficient.")
        now = self.venue.server_ms()
        order = {"orderId": next(self._ids), "symbol": spec.symbol, "status": "NEW", "clientOrderId": cid,
                 "price": _f(price), "avgPrice": "0.00", "origQty": _f(qty), "executedQty": "0", "cumQty": "0",
                 "cumQuote": "0", "timeInForce": p.get("timeInForce", "GTC"), "type": kind, "reduceOnly": reduce,
                 "closePosition": False, "side": side, "positionSide": "BOTH", "stopPrice": p.get("stopPrice", "0"),
                 "workingType": "CONTRACT_PRICE", "priceProtect": False, "origType": kind, "updateTime": now,
                 "time": now}
        book.orders[order["orderId"]] = order
        self.placed += 1
        self._report(book, order, "NEW")
        self.match(book, order)
        return dict(order)

    def match(self, book: FuturesBook, order: dict[str, Any]) -> None:
        if order["status"] != "NEW":
            return
        sym = order["symbol"]
        last = self.venue.prices[sym]
        tick = D(next(s for s in self.venue.symbols if s.symbol == sym).tick)
        bid, ask = last - tick, last + tick
        buy = order["side"] == "BUY"
        if order["type"] in ("STOP_MARKET", "STOP"):
            stop = D(order["stopPrice"])
            if not (ask >= stop if buy else bid <= stop):
                return
        limit = D(order["price"])
        if order["type"] in ("MARKET", "STOP_MARKET"):
            px = ask if buy else bid
        elif (buy and ask <= limit) or (not buy and bid >= limit):
            px = limit
        else:
            return
        qty = D(order["origQty"])
        signed = qty if buy else -qty
        amt, entry = book.positions.get(sym, [D(0), D(0)])
        realized = D(0)
        if amt == 0 or (amt > 0) == (signed > 0):
            entry = (entry * abs(amt) + px * qty) / abs(amt + signed)
        else:
            closed = min(abs(amt), qty)
            realized = (px - entry) * closed * (1 if amt > 0 else -1)
            if abs(signed) > abs(amt):
                entry = px
            elif amt + signed == 0:
                entry = D(0)
        fee = qty * px * D("0.0004")
        book.wallet += realized - fee
        book.positions[sym] = [amt + signed, entry]
        now = self.venue.server_ms()
        tid = next(self._trade_ids)
        order.update(status="FILLED", executedQty=_f(qty), cumQty=_f(qty), cumQuote=_f(qty * px), avgPrice=_f(px),
                     updateTime=now)
        trade = {"buyer": buy, "commission": _f(fee), "commissionAsset": "USDT", "id": tid, "maker": False,
                 "orderId": order["orderId"], "price": _f(px), "qty": _f(qty), "quoteQty": _f(qty * px),
                 "realizedPnl": _f(realized), "side": order["side"], "positionSide": "BOTH", "symbol": sym, "time": now}
        book.trades.append(trade)
        self._report(book, order, "TRADE", trade)
        book.emit({"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": {"m": "ORDER", "B": [
            {"a": "USDT", "wb": _f(book.wallet), "cw": _f(book.wallet), "bc": "0"}], "P": [
            {"s": sym, "pa": _f(book.positions[sym][0]), "ep": _f(book.positions[sym][1]), "bep": "0", "cr": "0",
             "up": "0", "mt": "cross", "iw": "0", "ps": "BOTH"}]}})

    def on_price(self, symbol: str) -> None:
        for book in self.books.values():
            for order in list(book.orders.values()):
                if order["symbol"] == symbol:
                    self.match(book, order)

    def find(self, acc: Account, p: dict[str, str], *, for_cancel: bool = False) -> dict[str, Any]:
        book = self.book(acc)
        order = None
        if "orderId" in p:
            order = book.orders.get(int(p["orderId"]))
        elif "origClientOrderId" in p:
            order = next((o for o in book.orders.values() if o["clientOrderId"] == p["origClientOrderId"]), None)
        if order is None or order["symbol"] != p.get("symbol"):
            raise BinanceError(-2011, "Unknown order sent.") if for_cancel else BinanceError(-2013, "Order does not exist.")
        return order

    def cancel(self, acc: Account, order: dict[str, Any]) -> dict[str, Any]:
        if order["status"] != "NEW":
            raise BinanceError(-2011, "Unknown order sent.")
        order.update(status="CANCELED", updateTime=self.venue.server_ms())
        self._report(self.book(acc), order, "CANCELED")
        return dict(order)

    def new_listen_key(self, acc: Account) -> str:
        book = self.book(acc)
        if not book.listen_key:
            book.listen_key = secrets.token_urlsafe(48)[:64]
        return book.listen_key

    def _report(self, book: FuturesBook, order: dict[str, Any], exec_type: str, trade: dict[str, Any] | None = None) -> None:
        now = self.venue.server_ms()
        book.emit({"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": {
            "s": order["symbol"], "c": order["clientOrderId"], "S": order["side"], "o": order["type"],
            "f": order["timeInForce"], "q": order["origQty"], "p": order["price"], "ap": order["avgPrice"],
            "sp": order["stopPrice"], "x": exec_type, "X": order["status"], "i": order["orderId"],
            "l": trade["qty"] if trade else "0", "z": order["executedQty"], "L": trade["price"] if trade else "0",
            "N": "USDT" if trade else None, "n": trade["commission"] if trade else "0", "T": now,
            "t": trade["id"] if trade else 0, "b": "0", "a": "0", "m": False, "R": order["reduceOnly"],
            "wt": "CONTRACT_PRICE", "ot": order["origType"], "ps": "BOTH", "cp": False,
            "rp": trade["realizedPnl"] if trade else "0", "pP": False, "si": 0, "ss": 0, "V": "NONE",
            "pm": "NONE", "gtd": 0}})
