"""The paper venue's entry in the ``BrokerRegistry`` (``brokers/base.py`` ``VenueSpec``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from ...core.enums import AccountMode
from ...core.errors import ConfigError
from ...core.portfolio import Account
from ..base import VenueSpec
from .broker import PAPER_SETTINGS, PaperBroker
from .exchange import VENUE, PaperExchange


def paper_venue(exchange: PaperExchange) -> VenueSpec:
    """Accounts of mode PAPER on ``exchange``, with a commission and a slippage rate (fractions of notional
    and of price in [0, 1), ``PAPER_SETTINGS``); no credentials. The factory raises ``ConfigError`` for a
    rate that is not a number in [0, 1)."""

    def build(account: Account, credentials: Mapping[str, str]) -> PaperBroker:
        rates = {}
        for f in PAPER_SETTINGS:
            text = account.settings.get(f.name, f.default)
            try:
                rates[f.name] = Decimal(str(text))
            except (InvalidOperation, ValueError):
                raise ConfigError(f"{f.name} must be a fraction in [0, 1), got {text!r}") from None
        try:
            return PaperBroker(exchange, account.account_id, **rates)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    return VenueSpec(VENUE, "Paper trading", (AccountMode.PAPER,), PAPER_SETTINGS, build)
