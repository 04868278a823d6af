"""Binance: spot (``/api/v3``) and USD-M futures (``/fapi/v1``), all of it in this package.

``urls.py`` the endpoints per market and environment; ``instruments.py`` exchangeInfo -> ``Instrument``;
``public.py`` market data without a key (instruments, klines, the public streams).
"""
