"""Upbit, the Korean won exchange: KRW, BTC and USDT spot markets (https://docs.upbit.com).

``urls.py`` bases and market ids (``KRW-BTC`` <-> ``BTC/KRW``); ``profile.py`` the venue's facts (limits, tick
ladders, minimum totals); ``codes.py`` error names and order states; ``rest.py`` requests with a JWT per request;
``instruments.py`` the markets; ``public.py`` keyless market data; ``orders.py`` the order wire; ``private.py`` the
private stream (myOrder, myAsset); ``account.py`` the account adapter; ``spec.py`` the account form and factory.
"""
