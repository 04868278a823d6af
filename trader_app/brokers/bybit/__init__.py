"""Bybit v5, the unified trading account: spot and USDT linear perpetuals in one account (https://bybit-exchange.github.io/docs/v5/intro).

``urls.py`` bases per mode; ``codes.py`` retCodes, statuses and order types; ``rest.py`` signed requests
(HMAC-SHA256 in ``X-BAPI-*`` headers); ``instruments.py`` instruments-info; ``public.py`` keyless market data on
the live layer's public feed; ``orders.py`` the order wire; ``private.py`` the private stream; ``account.py`` the
account adapter; ``spec.py`` the account form and factory.
"""
