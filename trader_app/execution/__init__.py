"""Signals: sizing per account (``qty_per``), batch priority, concurrent fan-out over linked accounts."""
