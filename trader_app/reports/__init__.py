"""Daily and weekly reports (issue 14): ``build.py`` gathers a period's numbers from the store (the formulas are
``analytics/period.py``), ``plot.py`` draws the equity picture, ``render.py`` the HTML page, ``narrative.py``
asks an OpenAI-compatible model for the weekly summary, ``service.py`` stores and schedules them,
``cli.py`` is ``trader-app report``."""
