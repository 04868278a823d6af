"""The fake Binance's accounts: API keys, signature and timestamp checks, spot balances, orders matched against
the fake's prices, trades, and the user-data events each change produces.

Wire rules followed (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/request-security,
trading-endpoints, account-endpoints, errors): HMAC-SHA256 hex over the exact query string before
``&signature=`` (plus the body); ``timestamp`` must satisfy ``timestamp < serverTime + 1000`` and
``serverTime - timestamp <= recvWindow`` (default 5000) or -1021; unknown key -2015 (HTTP 401); bad signature
-1022; filters -1013 ("Filter failure: LOT_SIZE" / PRICE_FILTER / NOTIONAL); no funds -2010 "Account has
insufficient balance for requested action."; an open order's client id reused -2010 "Duplicate order sent.";
unknown order -2013 "Order does not exist." (query) / -2011 "Unknown order sent." (cancel).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

D = Decimal


class BinanceError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


@dataclass
class Account:
    api_key: str
    secret: str
    balances: dict[str, list[Decimal]] = field(default_factory=dict)  # asset -> [free, locked]
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)  # orderId -> order JSON (strings)
    trades: list[dict[str, Any]] = field(default_factory=list)
    withdrawals_enabled: bool = False
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)  # user-data subscribers

    def by_client_id(self, cid: str) -> dict[str, Any] | None:
        for o in self.orders.values():
            if o["clientOrderId"] == cid:
                return o
        return None

    def emit(self, event: dict[str, Any]) -> None:
        for fn in list(self.listeners):
            fn(event)


def verify(acc: "Account", payload: str, signature: str) -> bool:
    """Binance's check: HMAC-SHA256 hex (case-insensitive) with the account's secret, or, for an account opened
    with an Ed25519 public key (PEM), the base64 Ed25519 signature of ``payload``."""
    if acc.secret.startswith("-----BEGIN PUBLIC KEY-----"):
        import base64

        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        try:
            load_pem_public_key(acc.secret.encode()).verify(base64.b64decode(signature), payload.encode())  # type: ignore[union-attr]
            return True
        except (InvalidSignature, ValueError):
            return False
    expected = hmac.new(acc.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.lower())


def _f(d: Decimal) -> str:
    return f"{d:.8f}"


class Accounts:
    """The accounts of the fake (``venue``: the ``FakeBinance`` for prices, symbols and the clock).
    ``not_found_s``: queries answer -2013 for this long after an order was accepted (the venue's lag);
    ``lose_next_answers``: that many order placements are done but their answer is dropped (connection cut);
    ``part_fill``: the next marketable LIMIT order fills only this fraction of what is left (down to the lot
    step) and stays PARTIALLY_FILLED, its rest still resting, as a thin book does (one-shot)."""

    def __init__(self, venue: Any) -> None:
        self.venue = venue
        self.accounts: dict[str, Account] = {}
        self._order_ids = itertools.count(1000)
        self._trade_ids = itertools.count(5000)
        self.not_found_s = 0.0
        self.lose_next_answers = 0
        self.part_fill: D | None = None
        self.placed = 0  # orders accepted
        self.signed_requests: list[str] = []  # raw query strings that passed the checks

    def open(self, api_key: str, secret: str, balances: dict[str, str]) -> Account:
        """An account: ``secret`` is its HMAC secret, or the PEM public key of an Ed25519 API key."""
        acc = Account(api_key, secret, {a: [D(v), D(0)] for a, v in balances.items()})
        self.accounts[api_key] = acc
        return acc

    # ---- authentication ---------------------------------------------------------------------------------
    def authenticate(self, api_key: str | None, raw_query: str, body: str = "") -> tuple[Account, dict[str, str]]:
        acc = self.accounts.get(api_key or "")
        if acc is None:
            raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        payload, sep, signature = raw_query.rpartition("&signature=")
        if not sep:
            raise BinanceError(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
        from urllib.parse import unquote

        if not verify(acc, payload + body, unquote(signature)):
            raise BinanceError(-1022, "Signature for this request is not valid.")
        from urllib.parse import parse_qsl

        params = dict(parse_qsl(payload + ("&" + body if body else ""), keep_blank_values=True))
        self.check_timestamp(params)
        self.signed_requests.append(payload)
        return acc, params

    def check_timestamp(self, params: dict[str, str]) -> None:
        try:
            ts = int(params["timestamp"])
            window = int(float(params.get("recvWindow", "5000")))
        except (KeyError, ValueError):
            raise BinanceError(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.") from None
        server = self.venue.server_ms()
        if not (ts < server + 1000 and server - ts <= window):
            raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")

    # ---- trading ------------------------------------------------------------------------------------------
    def _spec(self, symbol: str) -> Any:
        for s in self.venue.symbols:
            if s.symbol == symbol:
                return s
        raise BinanceError(-1121, "Invalid symbol.")

    def account_json(self, acc: Account) -> dict[str, Any]:
        return {"makerCommission": 10, "takerCommission": 10, "canTrade": True, "canWithdraw": True,
                "canDeposit": True, "accountType": "SPOT", "updateTime": self.venue.server_ms(),
                "balances": [{"asset": a, "free": _f(v[0]), "locked": _f(v[1])} for a, v in sorted(acc.balances.items())],
                "permissions": ["SPOT"], "uid": 354937868}

    def place(self, acc: Account, p: dict[str, str]) -> dict[str, Any]:
        spec = self._spec(p.get("symbol", ""))
        side, kind = p.get("side"), p.get("type")
        if side not in ("BUY", "SELL") or kind not in ("MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"):
            raise BinanceError(-1116 if kind else -1102, "Invalid orderType." if kind else "Mandatory parameter 'type'.")
        cid = p.get("newClientOrderId") or f"x-{next(self._order_ids)}"
        existing = acc.by_client_id(cid)
        if existing is not None and existing["status"] in ("NEW", "PARTIALLY_FILLED"):
            raise BinanceError(-2010, "Duplicate order sent.")
        qty = D(p.get("quantity", "0"))
        amount = D(p["quoteOrderQty"]) if "quoteOrderQty" in p else None
        if amount is not None:  # a MARKET order by the quote amount: the quantity the amount buys at the ask
            if kind != "MARKET" or "quantity" in p:
                raise BinanceError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
            ask = self.venue.prices[spec.symbol] + D(spec.tick)
            qty = (amount / ask // D(spec.step)) * D(spec.step)
        if qty < D(spec.min_qty) or qty % D(spec.step) != 0 or qty > D(spec.max_qty):
            raise BinanceError(-1013, "Filter failure: LOT_SIZE")
        price = D(p["price"]) if "price" in p else None
        if kind in ("LIMIT", "STOP_LOSS_LIMIT"):
            if price is None or "timeInForce" not in p:
                raise BinanceError(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")
            if price % D(spec.tick) != 0:
                raise BinanceError(-1013, "Filter failure: PRICE_FILTER")
        stop = D(p["stopPrice"]) if "stopPrice" in p else None
        if kind.startswith("STOP") and stop is None:
            raise BinanceError(-1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.")
        last = self.venue.prices[spec.symbol]
        ref = price if price is not None else last
        if qty * ref < D(spec.min_notional):
            raise BinanceError(-1013, "Filter failure: NOTIONAL")
        base, quote = acc.balances.setdefault(spec.base, [D(0), D(0)]), acc.balances.setdefault(spec.quote, [D(0), D(0)])
        need = qty * ref * D("1.001") if side == "BUY" else qty
        have = quote[0] if side == "BUY" else base[0]
        if need > have:
            raise BinanceError(-2010, "Account has insufficient balance for requested action.")
        now = self.venue.server_ms()
        order = {"symbol": spec.symbol, "orderId": next(self._order_ids), "orderListId": -1, "clientOrderId": cid,
                 "transactTime": now, "price": _f(price or D(0)), "origQty": _f(qty), "executedQty": _f(D(0)),
                 "origQuoteOrderQty": _f(amount or D(0)), "cummulativeQuoteQty": _f(D(0)), "status": "NEW",
                 "timeInForce": p.get("timeInForce", "GTC"), "type": kind, "side": side,
                 "stopPrice": _f(stop or D(0)), "workingTime": now, "selfTradePreventionMode": "NONE",
                 "time": now, "updateTime": now, "isWorking": True, "_accepted": now}
        acc.orders[order["orderId"]] = order
        self._lock(acc, order, +1)
        self.placed += 1
        self._report(acc, order, "NEW")
        fills = self.match(acc, order)
        answer = {k: v for k, v in order.items() if not k.startswith("_") and k not in ("time", "updateTime", "isWorking")}
        if p.get("newOrderRespType", "FULL") == "FULL":
            answer["fills"] = fills
        return answer

    def _lock(self, acc: Account, order: dict[str, Any], sign: int) -> None:
        spec = self._spec(order["symbol"])
        left = D(order["origQty"]) - D(order["executedQty"])
        if order["side"] == "BUY":
            amount = left * (D(order["price"]) if D(order["price"]) > 0 else self.venue.prices[spec.symbol])
            asset = spec.quote
        else:
            amount, asset = left, spec.base
        bal = acc.balances.setdefault(asset, [D(0), D(0)])
        bal[0] -= sign * amount
        bal[1] += sign * amount

    def match(self, acc: Account, order: dict[str, Any]) -> list[dict[str, Any]]:
        """Fill ``order`` if the fake's price allows (MARKET always; LIMIT when marketable, at its price;
        stops once triggered). Returns the FULL answer's fills."""
        if order["status"] not in ("NEW", "PARTIALLY_FILLED"):
            return []
        last = self.venue.prices[order["symbol"]]
        tick = D(self._spec(order["symbol"]).tick)
        bid, ask = last - tick, last + tick
        buy = order["side"] == "BUY"
        kind = order["type"]
        stop = D(order["stopPrice"])
        if kind.startswith("STOP") and not (ask >= stop if buy else bid <= stop):
            return []
        limit = D(order["price"])
        if kind in ("MARKET", "STOP_LOSS"):
            px = ask if buy else bid
        elif (buy and ask <= limit) or (not buy and bid >= limit):
            px = limit
        else:
            return []
        self._lock(acc, order, -1)
        qty = D(order["origQty"]) - D(order["executedQty"])
        spec = self._spec(order["symbol"])
        partial = False
        if self.part_fill is not None and kind == "LIMIT":  # a maker fill of part of the order (one-shot)
            part = (qty * self.part_fill // D(spec.step)) * D(spec.step)
            self.part_fill = None
            if D(0) < part < qty:
                qty, partial = part, True
        fee = qty * D("0.001") if buy else qty * px * D("0.001")
        fee_asset = spec.base if buy else spec.quote
        base, quote = acc.balances.setdefault(spec.base, [D(0), D(0)]), acc.balances.setdefault(spec.quote, [D(0), D(0)])
        if buy:
            quote[0] -= qty * px
            base[0] += qty - fee
        else:
            base[0] -= qty
            quote[0] += qty * px - fee
        tid = next(self._trade_ids)
        now = self.venue.server_ms()
        order["executedQty"] = _f(D(order["executedQty"]) + qty)
        order["cummulativeQuoteQty"] = _f(D(order["cummulativeQuoteQty"]) + qty * px)
        order["status"], order["updateTime"] = ("PARTIALLY_FILLED" if partial else "FILLED"), now
        order["isWorking"] = partial
        if partial:
            self._lock(acc, order, +1)  # the rest stays reserved
        trade = {"symbol": order["symbol"], "id": tid, "orderId": order["orderId"], "orderListId": -1,
                 "price": _f(px), "qty": _f(qty), "quoteQty": _f(qty * px), "commission": _f(fee),
                 "commissionAsset": fee_asset, "time": now, "isBuyer": buy, "isMaker": kind == "LIMIT",
                 "isBestMatch": True}
        acc.trades.append(trade)
        self._report(acc, order, "TRADE", trade)
        self._balances(acc, [spec.base, spec.quote])
        return [{"price": _f(px), "qty": _f(qty), "commission": _f(fee), "commissionAsset": fee_asset,
                 "tradeId": tid}]

    def on_price(self, symbol: str) -> None:
        """The fake's price of ``symbol`` moved: resting orders that now cross fill."""
        for acc in self.accounts.values():
            for order in list(acc.orders.values()):
                if order["symbol"] == symbol:
                    self.match(acc, order)

    def find(self, acc: Account, p: dict[str, str], *, for_cancel: bool = False) -> dict[str, Any]:
        order = None
        if "orderId" in p:
            order = acc.orders.get(int(p["orderId"]))
        elif "origClientOrderId" in p:
            order = acc.by_client_id(p["origClientOrderId"])
        if order is not None and order["symbol"] != p.get("symbol"):
            order = None
        if order is None or (not for_cancel and self.venue.server_ms() - order["_accepted"] < self.not_found_s * 1000):
            if for_cancel:
                raise BinanceError(-2011, "Unknown order sent.")
            raise BinanceError(-2013, "Order does not exist.")
        return order

    def cancel(self, acc: Account, order: dict[str, Any]) -> dict[str, Any]:
        if order["status"] not in ("NEW", "PARTIALLY_FILLED"):
            raise BinanceError(-2011, "Unknown order sent.")
        self._lock(acc, order, -1)
        order["status"], order["updateTime"], order["isWorking"] = "CANCELED", self.venue.server_ms(), False
        self._report(acc, order, "CANCELED")
        self._balances(acc, [self._spec(order["symbol"]).base, self._spec(order["symbol"]).quote])
        return {"symbol": order["symbol"], "origClientOrderId": order["clientOrderId"], "orderId": order["orderId"],
                "orderListId": -1, "clientOrderId": f"cancel-{order['orderId']}",
                "transactTime": order["updateTime"], **{k: order[k] for k in (
                    "price", "origQty", "executedQty", "cummulativeQuoteQty", "status", "timeInForce", "type",
                    "side", "stopPrice")}}

    @staticmethod
    def public(order: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in order.items() if not k.startswith("_") and k != "transactTime"}

    # ---- user data ------------------------------------------------------------------------------------------
    def _report(self, acc: Account, order: dict[str, Any], exec_type: str, trade: dict[str, Any] | None = None) -> None:
        now = self.venue.server_ms()
        acc.emit({"e": "executionReport", "E": now, "s": order["symbol"], "c": order["clientOrderId"],
                  "S": order["side"], "o": order["type"], "f": order["timeInForce"], "q": order["origQty"],
                  "p": order["price"], "P": order["stopPrice"], "F": "0.00000000", "g": -1, "C": "",
                  "x": exec_type, "X": order["status"], "r": "NONE", "i": order["orderId"],
                  "l": trade["qty"] if trade else "0.00000000", "z": order["executedQty"],
                  "L": trade["price"] if trade else "0.00000000", "n": trade["commission"] if trade else "0",
                  "N": trade["commissionAsset"] if trade else None, "T": now, "t": trade["id"] if trade else -1,
                  "v": 3, "I": 8641984, "w": order["status"] == "NEW", "m": False, "M": False, "O": order["time"],
                  "Z": order["cummulativeQuoteQty"], "Y": trade["quoteQty"] if trade else "0.00000000",
                  "Q": "0.00000000", "W": order["time"], "V": "NONE"})

    def _balances(self, acc: Account, assets: list[str]) -> None:
        now = self.venue.server_ms()
        acc.emit({"e": "outboundAccountPosition", "E": now, "u": now,
                  "B": [{"a": a, "f": _f(acc.balances[a][0]), "l": _f(acc.balances[a][1])} for a in assets]})
