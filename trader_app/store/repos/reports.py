"""Stored reports and risk events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from ...core.portfolio import RiskEvent
from ..models import ReportRow, RiskEventRow
from ..types import dumps
from .base import Repository, upsert_row


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report as stored: ``period`` "daily"/"weekly", ``scope`` "all"/"account:ID"/"group:NAME", the period
    ``[start_ms, end_ms)`` and ``created_ms`` (epoch ms UTC), ``metrics`` (the report's JSON) and ``html``
    (empty in listings, which leave the page out)."""

    id: int
    period: str
    scope: str
    start_ms: int
    end_ms: int
    created_ms: int
    metrics: dict[str, Any]
    html: str = ""


def _report(r: ReportRow, with_html: bool) -> StoredReport:
    return StoredReport(r.id, r.period, r.scope, r.start_ms, r.end_ms, r.created_ms, r.metrics or {},
                        r.html if with_html else "")


class ReportRepository(Repository):
    """``store.reports``: one row per (period, scope, start_ms); saving the same report again replaces it."""

    def save(self, period: str, scope: str, start_ms: int, end_ms: int, created_ms: int, metrics: dict[str, Any],
             html: str) -> int:
        """Insert or replace the report; returns its id. Raises ``TypeError`` (nothing saved) when ``metrics``
        is not JSON-able."""
        dumps(metrics)
        values = {"period": period, "scope": scope, "start_ms": start_ms, "end_ms": end_ms,
                  "created_ms": created_ms, "metrics": metrics, "html": html}
        with self._sessions.begin() as s:
            row = upsert_row(s, ReportRow, {"period": period, "scope": scope, "start_ms": start_ms}, values)
            s.flush()
            return int(row.id)

    def get(self, report_id: int) -> StoredReport | None:
        """The report with its HTML, or None."""
        with self._sessions() as s:
            row = s.get(ReportRow, report_id)
            return None if row is None else _report(row, True)

    def find(self, period: str, scope: str, start_ms: int) -> StoredReport | None:
        """The report of that period and scope starting at ``start_ms``, with its HTML, or None."""
        stmt = select(ReportRow).filter_by(period=period, scope=scope, start_ms=start_ms)
        with self._sessions() as s:
            row = s.execute(stmt).scalar_one_or_none()
            return None if row is None else _report(row, True)

    def list(self, limit: int | None = 200) -> list[StoredReport]:
        """Newest period first (then scope), without the HTML, at most ``limit`` (None = all)."""
        stmt = select(ReportRow).order_by(ReportRow.start_ms.desc(), ReportRow.period, ReportRow.scope)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._sessions() as s:
            return [_report(r, False) for r in s.execute(stmt).scalars()]

    def delete(self, report_id: int) -> bool:
        """Delete one report; False when there was none with that id."""
        with self._sessions.begin() as s:
            return bool(s.execute(delete(ReportRow).where(ReportRow.id == report_id)).rowcount)

    def delete_older(self, end_before_ms: int) -> int:
        """Delete the reports whose period ended before ``end_before_ms``; returns how many."""
        with self._sessions.begin() as s:
            return int(s.execute(delete(ReportRow).where(ReportRow.end_ms < end_before_ms)).rowcount or 0)


class RiskEventRepository(Repository):
    """``store.risk_events``: kill-switch trips and resets, in time order."""

    def add(self, event: RiskEvent) -> None:
        """Record one event."""
        with self._sessions.begin() as s:
            s.add(RiskEventRow(ts_ms=event.ts_ms, account_id=event.account_id, kind=event.kind, reason=event.reason))

    def between(self, start_ms: int, end_ms: int) -> list[RiskEvent]:
        """Events with ``start_ms <= ts_ms < end_ms``, oldest first."""
        stmt = (select(RiskEventRow).where(RiskEventRow.ts_ms >= start_ms, RiskEventRow.ts_ms < end_ms)
                .order_by(RiskEventRow.ts_ms, RiskEventRow.id))
        with self._sessions() as s:
            return [RiskEvent(r.ts_ms, r.account_id, r.kind, r.reason) for r in s.execute(stmt).scalars()]
