"""Packaging: the PyInstaller bundle (``python -m trader_app.packaging``) and the application icon.

- ``trader_app.packaging.icons``: draws the icon and writes ``resources/icons`` (PNG, .ico, .icns).
- ``trader_app.packaging.build``: builds ``dist/TraderApp`` from ``build.spec``, archives it and
  smoke-runs the frozen app; ``python -m trader_app.packaging --help`` for the options.
"""
