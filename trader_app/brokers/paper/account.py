"""Book-keeping of one paper account: cash per currency (with the part locked for open buys), holdings
(net positions, long only on paper), the quantity reserved by open sells, and the cash ledger.

Every cash movement produces a ``LedgerEntry`` with ``cash_before + amount == cash_after`` (quote currency,
Decimal). Reservations are kept per client order id so that releasing one is exact.
Not thread-safe: used on the event loop only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from ...core.enums import LedgerKind, Side
from ...core.errors import InsufficientFunds, TraderError
from ...core.ids import new_id, now_ms
from ...core.money import ZERO, amount_text, fmt
from ...core.orders import Fill
from ...core.portfolio import Balance, LedgerEntry, Position
from ...core.position_math import apply_fill, flat


class PaperAccount:
    """Cash, holdings and reservations of one paper account.

    ``clock`` returns epoch ms (UTC) and stamps ledger rows.
    """

    def __init__(self, account_id: str, clock: Callable[[], int] = now_ms) -> None:
        self.account_id = account_id
        self._clock = clock
        self._cash: dict[str, Decimal] = {}
        self._locked: dict[str, Decimal] = {}
        self._cash_res: dict[str, tuple[str, Decimal]] = {}  # client order id -> (currency, amount)
        self._positions: dict[str, Position] = {}
        self._sell_locked: dict[str, Decimal] = {}
        self._sell_res: dict[str, tuple[str, Decimal]] = {}  # client order id -> (symbol, quantity)

    # ---- views -------------------------------------------------------------------------------------
    def balance(self, currency: str) -> Balance:
        """Cash of ``currency``: ``total`` and ``locked`` (reserved for open buys)."""
        return Balance(self.account_id, currency, self._cash.get(currency, ZERO), self._locked.get(currency, ZERO))

    def balances(self) -> list[Balance]:
        """Every currency the account has held, sorted by currency."""
        return [self.balance(c) for c in sorted(self._cash)]

    def free_cash(self, currency: str) -> Decimal:
        return self._cash.get(currency, ZERO) - self._locked.get(currency, ZERO)

    def position(self, symbol: str) -> Position:
        """The net position in ``symbol`` (flat if never traded)."""
        return self._positions.get(symbol) or flat(self.account_id, symbol)

    def positions(self) -> list[Position]:
        """Every position ever opened (flat ones included), sorted by symbol."""
        return [self._positions[s] for s in sorted(self._positions)]

    def free_holdings(self, symbol: str) -> Decimal:
        """Position quantity minus the quantity reserved by open sells."""
        return self.position(symbol).quantity - self._sell_locked.get(symbol, ZERO)

    # ---- reservations ------------------------------------------------------------------------------
    def check_cash(self, currency: str, need: Decimal, what: str) -> None:
        """Raise ``InsufficientFunds`` naming needed vs free if ``need`` exceeds the free cash."""
        free = self.free_cash(currency)
        if need > free:
            raise InsufficientFunds(f"insufficient {currency} for {what}: need {amount_text(need, currency)}, "
                                    f"free {amount_text(free, currency)}")

    def check_holdings(self, symbol: str, quantity: Decimal, what: str) -> None:
        """Raise ``InsufficientFunds`` if ``quantity`` exceeds the free holdings (no short selling on paper)."""
        free = self.free_holdings(symbol)
        if quantity > free:
            raise InsufficientFunds(f"insufficient holdings for {what}: need {fmt(quantity)}, free {fmt(free)}")

    def reserve_cash(self, client_order_id: str, currency: str, amount: Decimal, what: str) -> None:
        """Lock ``amount`` of ``currency`` for an open buy; raises ``InsufficientFunds`` (changes nothing)."""
        self.check_cash(currency, amount, what)
        self.force_reserve_cash(client_order_id, currency, amount)

    def force_reserve_cash(self, client_order_id: str, currency: str, amount: Decimal) -> None:
        """Lock cash without checking it is free (used when restoring saved open orders)."""
        self.release(client_order_id)
        self._cash_res[client_order_id] = (currency, amount)
        self._locked[currency] = self._locked.get(currency, ZERO) + amount
        self._cash.setdefault(currency, ZERO)

    def reserve_holdings(self, client_order_id: str, symbol: str, quantity: Decimal, what: str) -> None:
        """Reserve ``quantity`` of ``symbol`` for an open sell; raises ``InsufficientFunds`` (changes nothing)."""
        self.check_holdings(symbol, quantity, what)
        self.force_reserve_holdings(client_order_id, symbol, quantity)

    def force_reserve_holdings(self, client_order_id: str, symbol: str, quantity: Decimal) -> None:
        """Reserve holdings without checking them (used when restoring saved open orders)."""
        self.release(client_order_id)
        self._sell_res[client_order_id] = (symbol, quantity)
        self._sell_locked[symbol] = self._sell_locked.get(symbol, ZERO) + quantity

    def release(self, client_order_id: str) -> str | None:
        """Release whatever the order reserved. Returns the currency whose locked cash changed, if any."""
        cash = self._cash_res.pop(client_order_id, None)
        if cash is not None:
            currency, amount = cash
            self._locked[currency] = self._locked.get(currency, ZERO) - amount
            return currency
        held = self._sell_res.pop(client_order_id, None)
        if held is not None:
            symbol, qty = held
            self._sell_locked[symbol] = self._sell_locked.get(symbol, ZERO) - qty
        return None

    # ---- cash movements ----------------------------------------------------------------------------
    def deposit(self, currency: str, amount: Decimal, note: str = "") -> LedgerEntry:
        """Add cash. ``amount`` > 0 (Decimal, ``currency`` units). Raises ``TraderError`` otherwise."""
        _check_currency(currency)
        if amount <= 0:
            raise TraderError(f"deposit amount must be > 0, got {fmt(amount)}")
        return self._move(LedgerKind.DEPOSIT, currency, amount, note=note)

    def withdraw(self, currency: str, amount: Decimal, note: str = "") -> LedgerEntry:
        """Take cash out. Raises ``TraderError`` for amount <= 0 and ``InsufficientFunds`` above the free cash."""
        _check_currency(currency)
        if amount <= 0:
            raise TraderError(f"withdrawal amount must be > 0, got {fmt(amount)}")
        free = self.free_cash(currency)
        if amount > free:
            raise InsufficientFunds(f"insufficient {currency} to withdraw {fmt(amount)}: free {amount_text(free, currency)}")
        return self._move(LedgerKind.WITHDRAW, currency, -amount, note=note)

    def settle_fill(self, fill: Fill, currency: str) -> tuple[list[LedgerEntry], Position]:
        """Book a fill: the BUY (-notional) or SELL (+notional) row, then a FEE row (-commission) when the
        commission is not zero, and the new position (``core.position_math.apply_fill``).

        The caller has released the order's reservation and checked cash/holdings beforehand.
        """
        notional = fill.price * fill.quantity
        kind = LedgerKind.BUY if fill.side is Side.BUY else LedgerKind.SELL
        common = dict(symbol=fill.symbol, quantity=fill.quantity, price=fill.price,
                      client_order_id=fill.client_order_id, trade_id=fill.trade_id)
        rows = [self._move(kind, currency, -notional if fill.side is Side.BUY else notional, ts_ms=fill.ts_ms, **common)]
        if fill.commission:
            rows.append(self._move(LedgerKind.FEE, currency, -fill.commission, ts_ms=fill.ts_ms, **common))
        position, _ = apply_fill(self.position(fill.symbol), fill.side, fill.quantity, fill.price, fill.ts_ms)
        self._positions[fill.symbol] = position
        return rows, position

    def _move(self, kind: LedgerKind, currency: str, amount: Decimal, *, ts_ms: int | None = None, note: str = "",
              **fields: object) -> LedgerEntry:
        before = self._cash.get(currency, ZERO)
        after = before + amount
        self._cash[currency] = after
        self._locked.setdefault(currency, ZERO)
        return LedgerEntry(
            entry_id=new_id("led"),
            account_id=self.account_id,
            ts_ms=ts_ms if ts_ms is not None else self._clock(),
            kind=kind,
            currency=currency,
            amount=amount,
            cash_before=before,
            cash_after=after,
            note=note,
            **fields,  # type: ignore[arg-type]
        )

    # ---- restore -----------------------------------------------------------------------------------
    def restore(self, balances: Iterable[Balance], positions: Iterable[Position]) -> None:
        """Replace cash and holdings with saved state. ``Balance.locked`` is ignored: reservations are rebuilt
        from the open orders the broker restores. Positions of other accounts raise ``TraderError``."""
        cash: dict[str, Decimal] = {}
        for b in balances:
            if b.account_id != self.account_id:
                raise TraderError(f"balance of account {b.account_id} given to {self.account_id}")
            cash[b.currency] = b.total
        held: dict[str, Position] = {}
        for p in positions:
            if p.account_id != self.account_id:
                raise TraderError(f"position of account {p.account_id} given to {self.account_id}")
            held[p.symbol] = p
        self._cash = cash
        self._locked = {c: ZERO for c in cash}
        self._cash_res.clear()
        self._positions = held
        self._sell_locked.clear()
        self._sell_res.clear()


def _check_currency(currency: str) -> None:
    if not isinstance(currency, str) or not currency.strip() or currency != currency.strip():
        raise TraderError(f"currency must be a code such as USDT, got {currency!r}")
