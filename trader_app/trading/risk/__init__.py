"""Pre-trade risk: the ``RiskPipeline`` of ``RiskRule`` checks run before an order is journalled.
Concrete rules live in ``rules.py`` (execution helper H7)."""

from .pipeline import RiskContext, RiskPipeline, RiskRule

__all__ = ["RiskContext", "RiskPipeline", "RiskRule"]
