"""Trading services: the order manager (journal, submit, track, reconcile), the portfolio (positions and
balances marked to market) and the account service (paper account lifecycle, start-up restore), plus the
pre-trade risk pipeline.

``from trader_app.trading import OrderManager, PortfolioService, AccountService, RiskPipeline``
"""

from .order_manager import OrderManager
from .risk import RiskContext, RiskPipeline, RiskRule

__all__ = ["OrderManager", "RiskContext", "RiskPipeline", "RiskRule"]

try:  # added as they land
    from .portfolio import PortfolioService  # noqa: F401

    __all__.append("PortfolioService")
    from .accounts import AccountService  # noqa: F401

    __all__.append("AccountService")
except ImportError:  # pragma: no cover
    pass
