"""Bithumb, the Korean won exchange, on its JWT API ("API 2.0", apidocs.bithumb.com v2.1.x; not the legacy HMAC API
that ccxt still uses).

``urls.py`` the bases; ``profile.py`` the venue's facts (limits, the KRW tick ladder); ``codes.py`` its error names
and order states; ``public.py`` keyless market
data on the live layer's ticket feed (Bithumb's quotation interface follows Upbit's). The account adapter (JWT
with a millisecond timestamp, ``/v2`` orders, the ``websocket/v2/private`` stream) is issue 22's next step.
"""
