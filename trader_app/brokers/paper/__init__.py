"""The embedded paper venue: ``PaperExchange`` (shared instruments, quotes, resting orders) and
``PaperBroker`` (one paper account, the reference ``Broker`` implementation)."""

from .account import PaperAccount
from .broker import PAPER_CAPABILITIES, PaperBroker
from .exchange import VENUE, PaperExchange, QuoteSubscription

__all__ = ["PAPER_CAPABILITIES", "VENUE", "PaperAccount", "PaperBroker", "PaperExchange", "QuoteSubscription"]
