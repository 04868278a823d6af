"""The ui bench on a small load: every published quote reaches the window's bridge (no timing asserted)."""

from trader_app.devtools.bench_ui import UiBenchResult, bench_ui


async def test_bench_ui_small_run_handles_every_quote(tmp_path):
    result = await bench_ui(tmp_path / "bench", symbols=20, rate=400.0, seconds=0.5, probe_ms=10.0, warmup_s=0.2)
    assert result.symbols == 20
    assert result.published > 0 and result.handled == result.published
    assert result.all_handled and result.flushes > 0 and result.lag_ms
    lines = result.lines()
    assert lines[0].startswith("bench ui: 20 symbols, target 400 quotes/s")
    assert "all handled" in lines[2]


def test_result_lines_report_unhandled_quotes():
    r = UiBenchResult(symbols=5, target_rate=100, seconds=2.0, published=200, handled=150, flushes=40,
                      rows_repainted=80, lag_ms=[1.0, 2.0, 60.0])
    assert r.lines()[2] == "quotes handled:   150 (75/s) - 50 NOT handled"
    assert r.lines()[-1] == "target (all handled, p99 < 50 ms): NOT met"
    assert (r.lag_p50, r.lag_p99) == (2.0, 60.0)
