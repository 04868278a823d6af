"""The embedded paper venue: ``PaperExchange`` (shared instruments, quotes, resting orders) and
``PaperBroker`` (one paper account, the reference ``Broker`` implementation)."""

from .account import PaperAccount
from .broker import PAPER_CAPABILITIES, PAPER_SETTINGS, PaperBroker
from .exchange import VENUE, PaperExchange, QuoteSubscription
from .spec import paper_venue

__all__ = ["PAPER_CAPABILITIES", "PAPER_SETTINGS", "VENUE", "PaperAccount", "PaperBroker", "PaperExchange",
           "QuoteSubscription", "paper_venue"]

