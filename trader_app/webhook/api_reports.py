"""REST routes for the daily and weekly reports (mounted under ``/api/v1`` behind the admin token by
``api.build_router``): what the Reports panel shows, for a headless ``serve``.

- ``GET /reports``: the stored reports, newest period first: ``[{"id", "period", "scope", "label", "start",
  "end", "created", "summary"}]``;
- ``GET /reports/{id}``: one report's numbers (the JSON of ``reports/build.py``);
- ``GET /reports/{id}/html``: its page (``text/html``);
- ``POST /reports`` ``{"period": "daily"|"weekly", "date": "YYYY-MM-DD"?, "scope": "all"?}``: make one now.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from ..analytics.summary import iso_utc


class MakeReport(BaseModel):
    """``POST /reports``: the period, a day of it (default: the last closed one) and the scope."""

    model_config = ConfigDict(extra="forbid")
    period: Literal["daily", "weekly"]
    date: Date | None = None
    scope: str = Field("all", max_length=200)


def _row(r: Any) -> dict[str, Any]:
    return {"id": r.id, "period": r.period, "scope": r.scope, "label": r.metrics.get("label", ""),
            "start": iso_utc(r.start_ms), "end": iso_utc(r.end_ms), "created": iso_utc(r.created_ms),
            "summary": r.metrics.get("summary", "")}


def add_report_routes(router: APIRouter, services: Any) -> None:
    """Add the report routes to ``router``."""
    from .app import ApiError, read_body
    from .schemas import PayloadError, parse_json_body

    store = services.store

    async def stored(report_id: int) -> Any:
        report = await store.run(store.reports.get, report_id)
        if report is None:
            raise ApiError(404, f"no report {report_id}")
        return report

    @router.get("/reports", summary="Stored daily and weekly reports, newest period first")
    async def list_reports(limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
        return [_row(r) for r in await store.run(store.reports.list, limit)]

    @router.get("/reports/{report_id}", summary="One report's numbers")
    async def get_report(report_id: int) -> dict[str, Any]:
        return (await stored(report_id)).metrics

    @router.get("/reports/{report_id}/html", summary="One report's page", response_class=HTMLResponse)
    async def get_report_html(report_id: int) -> HTMLResponse:
        return HTMLResponse((await stored(report_id)).html)

    @router.post("/reports", summary="Make a report now")
    async def make_report(request: Request) -> dict[str, Any]:
        reports = getattr(services, "reports", None)
        if reports is None:
            raise ApiError(503, "reports are not available in this app")
        try:
            body = MakeReport.model_validate(parse_json_body(await read_body(request)))
        except PayloadError as exc:
            raise ApiError(422, str(exc)) from None
        except ValueError as exc:
            raise ApiError(422, f"invalid report request: {exc}") from None
        report = await reports.make(body.period, body.date, body.scope)
        return _row(report)
