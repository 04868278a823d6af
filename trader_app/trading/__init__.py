"""Trading services: the order manager (journal, submit, track, reconcile), the portfolio (positions and
balances marked to market) and the account service (paper account lifecycle, start-up restore), plus the
pre-trade risk pipeline.

``from trader_app.trading import OrderManager, PortfolioService, AccountService, RiskPipeline``
"""

from .accounts import AccountService, UnknownAccount
from .order_manager import OrderManager
from .portfolio import PortfolioService
from .risk import RiskContext, RiskPipeline, RiskRule

__all__ = ["AccountService", "OrderManager", "PortfolioService", "RiskContext", "RiskPipeline", "RiskRule", "UnknownAccount"]
