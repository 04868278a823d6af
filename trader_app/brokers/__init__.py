"""Broker adapters: one subpackage per venue behind the ``Broker`` protocol in ``base.py``."""
