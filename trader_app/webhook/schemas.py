"""Webhook payload schemas (the public TradingView alert contract of issue 3) and their validation.

Single order::

    {"group_name": "g1", "symbol": "BTC/USDT", "order_type": "LIMIT", "side": "buy",
     "qty_per": 10, "price": "130000", "stop_price"?: ..., "token": "..."}

Batch::

    {"group_name": "g1", "symbol"?: "BTC/USDT", "token": "...", "orders": [{...}, ...]}

Rules (each broken rule is reported as ``(field, reason)``; the endpoint answers 422 with all of them):

- ``order_type``: MARKET, LIMIT (needs ``price``), STOP_MARKET (needs ``stop_price``), STOP_LIMIT (needs
  both), CANCEL_ALL_ORDER (needs ``symbol``; optional ``side`` cancels only that side). Case-insensitive.
- ``side``: buy or sell, case-insensitive. Required to open (``qty_per > 0``); optional when closing
  (``qty_per < 0``: the side follows the position's sign) and for CANCEL_ALL_ORDER.
- Numbers (``qty_per``, ``price``, ``stop_price``) may be JSON numbers or strings ("130000"); they are read
  as ``Decimal`` (JSON floats are parsed straight to Decimal, never through binary floats). NaN, infinities,
  booleans and magnitudes outside 1e-18 .. 1e15 are refused. ``qty_per`` != 0 and >= -100.
- ``symbol``: crypto ``BASE/QUOTE`` ("BTC/USDT"), stocks the code ("005930", "AAPL"); upper-cased; a
  TradingView exchange prefix ("BINANCE:BTCUSDT") is dropped. In a batch an order without ``symbol``
  takes the top-level one.
- ``signal_id`` (or ``id``), optional: the sender's own id of the alert, 1-64 printable ASCII characters; a
  resend with the same id is answered with the first outcome and executes nothing (for a day). Without it
  the payload's hash is the key, within ``webhook.idempotency_window_s``.
- Unknown extra fields are ignored (alert templates often carry comments), but the document may not nest
  deeper than ``MAX_DEPTH`` levels. ``token`` is never stored.
- The body is parsed as JSON whatever its Content-Type (TradingView sends ``text/plain`` when its own check
  finds the alert text not strictly JSON); it must be a JSON object.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..core.enums import Side
from ..core.errors import TraderError
from ..core.instrument import symbol_text
from ..core.money import to_decimal
from ..trading.groups import GROUP_NAME_RE
from ..execution.signal import SignalOrder, SignalOrderType

MAX_BODY_BYTES = 64 * 1024
MAX_BATCH_ORDERS = 100
MAX_DEPTH = 32
SENDER_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._\-]{0,31}(/[A-Z0-9][A-Z0-9._\-]{0,15})?$")
_MAX_ABS = Decimal("1e15")
_MIN_ABS = Decimal("1e-18")
_HUNDRED = Decimal(100)


class PayloadError(TraderError):
    """A webhook/REST payload broke the contract. ``errors`` is a list of ``(field, reason)``;
    ``field`` is a path such as ``orders[1].price`` (``body`` for the document itself)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{f}: {r}" for f, r in errors))

    def to_json(self) -> dict[str, Any]:
        """``{"detail": "field: reason; ...", "errors": [{"field", "reason"}, ...]}`` (the 422 body)."""
        return {"detail": str(self), "errors": [{"field": f, "reason": r} for f, r in self.errors]}


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        d = to_decimal(value, "value")
    except ValueError as exc:
        raise ValueError(str(exc).removeprefix("value ")) from None
    if d != 0 and not (_MIN_ABS <= abs(d) <= _MAX_ABS):
        raise ValueError(f"magnitude must be between 1e-18 and 1e15, got {value!r}")
    return d


def _symbol(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string such as BTC/USDT or AAPL")
    text = symbol_text(value)  # ValueError for a look-alike (NFKC, non-ASCII): a 422 naming the character
    if ":" in text:  # TradingView's EXCHANGE:TICKER
        text = text.rsplit(":", 1)[1]
    if not SYMBOL_RE.match(text):
        raise ValueError(f"{_short(value)} is not a symbol (BASE/QUOTE for crypto, the code for stocks)")
    return text


def _order_type(value: Any) -> SignalOrderType:
    if isinstance(value, str):
        try:
            return SignalOrderType(value.strip().upper())
        except ValueError:
            pass
    names = ", ".join(t.value for t in SignalOrderType)
    raise ValueError(f"must be one of {names}, got {_short(value)}")


def _side(value: Any) -> Side | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return Side.parse(value)
        except ValueError:
            pass
    raise ValueError(f"must be buy or sell, got {_short(value)}")


Number = Annotated[Decimal | None, BeforeValidator(_number)]
SymbolText = Annotated[str | None, BeforeValidator(_symbol)]
OrderTypeText = Annotated[SignalOrderType, BeforeValidator(_order_type)]
SideText = Annotated[Side | None, BeforeValidator(_side)]


class OrderIn(BaseModel):
    """One order of a webhook signal (types and formats; cross-field rules are checked after)."""

    model_config = ConfigDict(extra="ignore")

    symbol: SymbolText = Field(default=None, description='"BTC/USDT" for crypto, the code ("005930", "AAPL") for stocks')
    order_type: OrderTypeText = Field(description="MARKET, LIMIT, STOP_MARKET, STOP_LIMIT or CANCEL_ALL_ORDER")
    side: SideText = Field(default=None, description="buy or sell (case-insensitive)")
    qty_per: Number = Field(default=None, description="> 0: percent of allocated capital (STOCK: shares); < 0: close percent of the position")
    price: Number = Field(default=None, description="limit price (LIMIT, STOP_LIMIT)")
    stop_price: Number = Field(default=None, description="trigger price (STOP_MARKET, STOP_LIMIT)")


class SinglePayload(OrderIn):
    """A single-order alert: the order fields plus ``group_name`` and ``token``."""

    group_name: str = Field(default="", description="the strategy group the signal is for (required by the webhook)")
    token: str | None = Field(default=None, description="the group's webhook token (required by the webhook)")


class BatchPayload(BaseModel):
    """A batch alert: ``orders`` run per account in priority MARKET, CANCEL_ALL_ORDER, LIMIT, STOP_*."""

    model_config = ConfigDict(extra="ignore")

    group_name: str = Field(default="", description="the strategy group the signal is for (required by the webhook)")
    token: str | None = Field(default=None, description="the group's webhook token (required by the webhook)")
    symbol: SymbolText = Field(default=None, description="fallback for orders without a symbol")
    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_BATCH_ORDERS)


class ManualOrder(SinglePayload):
    """``POST /api/v1/orders``: one order for one account (``account_id``) or for every account linked to
    ``group_name``; the webhook's fields, no token (the bearer admin token authorises it)."""

    account_id: str | None = Field(default=None, description="one account's id (else give group_name)")


class ManualBatch(BatchPayload):
    """``POST /api/v1/orders`` with several orders (a batch), for ``account_id`` or ``group_name``."""

    account_id: str | None = Field(default=None, description="one account's id (else give group_name)")


@dataclass(frozen=True, slots=True)
class ValidatedPayload:
    """A payload that passed every rule: the group, the orders and the payload as stored (no token)."""

    group_name: str
    orders: tuple[SignalOrder, ...]
    public_payload: dict[str, Any]
    sender_id: str | None = None


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Parse a request body as a JSON object whatever its Content-Type. Floats become ``Decimal``.

    Raises ``PayloadError([("body", reason)])`` for a body that is empty, not UTF-8, not JSON (including
    NaN/Infinity literals and absurd nesting) or not an object.
    """
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError([("body", f"larger than {MAX_BODY_BYTES} bytes")])
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayloadError([("body", "not UTF-8 text")]) from None
    if not text.strip():
        raise PayloadError([("body", "empty; expected a JSON object")])
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except RecursionError:
        raise PayloadError([("body", "JSON nested too deeply")]) from None
    except ValueError as exc:
        raise PayloadError([("body", f"not valid JSON ({_first_line(exc)})")]) from None
    if not isinstance(data, dict):
        raise PayloadError([("body", f"expected a JSON object, got {_json_type(data)}")])
    if _depth_exceeds(data, MAX_DEPTH):
        raise PayloadError([("body", f"nested deeper than {MAX_DEPTH} levels")])
    return data


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True if ``value`` (parsed JSON) nests objects/arrays deeper than ``limit`` levels. Iterative, so a
    hostile document cannot exhaust the stack here or later (storing it, echoing it in an error)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def sender_id_of(data: dict[str, Any]) -> str | None:
    """The sender's own id of the alert (``signal_id``, else ``id``): a string or integer of 1-64 printable
    ASCII characters; None when absent. Raises ``PayloadError`` for a malformed one."""
    for name in ("signal_id", "id"):
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise PayloadError([(name, "must be a string or an integer")])
        text = str(value)
        if not SENDER_ID_RE.match(text):
            raise PayloadError([(name, "must be 1-64 printable ASCII characters without spaces")])
        return text
    return None


def group_name_of(data: dict[str, Any]) -> str:
    """The payload's ``group_name`` (checked for type and format). Raises ``PayloadError``."""
    name = data.get("group_name")
    if name is None:
        raise PayloadError([("group_name", "required")])
    if not isinstance(name, str) or not GROUP_NAME_RE.match(name):
        raise PayloadError([("group_name", "must be 1-64 letters, digits, '_', '.' or '-'")])
    return name


def token_of(data: dict[str, Any]) -> str | None:
    """The payload's ``token`` if it is a string, else None (a missing or non-string token is simply wrong)."""
    token = data.get("token")
    return token if isinstance(token, str) else None


def validate_payload(data: dict[str, Any]) -> ValidatedPayload:
    """Validate a parsed single or batch payload (a batch has ``orders``). Raises ``PayloadError`` listing
    every broken rule with its field path."""
    is_batch = "orders" in data
    try:
        model: SinglePayload | BatchPayload = (BatchPayload if is_batch else SinglePayload).model_validate(data)
    except ValidationError as exc:
        raise PayloadError(_from_pydantic(exc)) from None
    errors: list[tuple[str, str]] = []
    orders: list[SignalOrder] = []
    if isinstance(model, BatchPayload):
        for i, item in enumerate(model.orders):
            order = _check_order(item, model.symbol, f"orders[{i}].", errors)
            if order is not None:
                orders.append(order)
    else:
        order = _check_order(model, None, "", errors)
        if order is not None:
            orders.append(order)
    if errors:
        raise PayloadError(errors)
    public = {k: _jsonable(v) for k, v in data.items() if k != "token"}
    return ValidatedPayload(group_name=model.group_name, orders=tuple(orders), public_payload=public,
                            sender_id=sender_id_of(data))


def _check_order(o: OrderIn, fallback_symbol: str | None, prefix: str,
                 errors: list[tuple[str, str]]) -> SignalOrder | None:
    before = len(errors)
    symbol = o.symbol or fallback_symbol
    if symbol is None:
        errors.append((prefix + "symbol", "required" + (" (no top-level symbol either)" if prefix else "")))
    t = o.order_type
    if t is SignalOrderType.CANCEL_ALL_ORDER:
        if len(errors) > before:
            return None
        return SignalOrder(symbol=symbol, order_type=t, side=o.side)  # type: ignore[arg-type]
    q = o.qty_per
    if q is None:
        errors.append((prefix + "qty_per", f"required for {t.value}"))
    elif q == 0:
        errors.append((prefix + "qty_per", "must not be 0"))
    elif q < -_HUNDRED:
        errors.append((prefix + "qty_per", f"cannot close more than 100 percent, got {q}"))
    if o.side is None and (q is None or q > 0):
        errors.append((prefix + "side", f"required to open a position with {t.value}"))
    price = o.price
    stop = o.stop_price
    if t in (SignalOrderType.LIMIT, SignalOrderType.STOP_LIMIT):
        if price is None:
            errors.append((prefix + "price", f"required for {t.value}"))
        elif price <= 0:
            errors.append((prefix + "price", f"must be > 0, got {price}"))
    else:
        price = None  # MARKET/STOP_MARKET carry no limit price (alert templates often send {{close}})
    if t in (SignalOrderType.STOP_MARKET, SignalOrderType.STOP_LIMIT):
        if stop is None:
            errors.append((prefix + "stop_price", f"required for {t.value}"))
        elif stop <= 0:
            errors.append((prefix + "stop_price", f"must be > 0, got {stop}"))
    else:
        stop = None
    if len(errors) > before:
        return None
    # A close (qty_per < 0) keeps the given side only as a hint: the executor takes it from the position.
    return SignalOrder(symbol=symbol, order_type=t, side=o.side, qty_per=q, price=price, stop_price=stop)  # type: ignore[arg-type]


def _from_pydantic(exc: ValidationError) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        msg = _PYDANTIC_MESSAGES.get(err.get("type", ""), str(err.get("msg", "invalid")).removeprefix("Value error, "))
        out.append((path or "body", msg))
    return out


_PYDANTIC_MESSAGES = {
    "missing": "required",
    "string_type": "must be a string",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be an array",
    "too_short": "must hold at least 1 order",
    "too_long": f"must hold at most {MAX_BATCH_ORDERS} orders",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", Decimal: "a number"}.get(type(value), "null")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
