"""Bithumb, the Korean won exchange, on its JWT API ("API 2.0", apidocs.bithumb.com v2.1.x; not the legacy HMAC API
that ccxt still uses).

``urls.py`` the bases; ``profile.py`` the venue's facts (limits, the KRW tick ladder); ``codes.py`` its error names
and order states; ``public.py`` keyless market data on the live layer's ticket feed (Bithumb's quotation interface
follows Upbit's); ``rest.py`` requests with a JWT per request (with a millisecond timestamp); ``orders.py`` its names
on the shared order wire and its private stream v2's fields; ``account.py`` the account adapter (``/v2`` orders,
``next_key`` lists); ``spec.py`` the account form and factory.
"""
