"""``trader-app bench report`` on a small book: every step timed, the trade count what the fills make."""

from __future__ import annotations

import json

from trader_app.__main__ import main


def test_bench_report_small_run_prints_the_figures(capsys):
    assert main(["bench", "report", "--accounts", "2", "--fills", "10", "--signals", "3", "--repeats", "1",
                 "--json"]) == 0
    f = json.loads(capsys.readouterr().out)
    assert (f["accounts"], f["fills"], f["signals"], f["equity_points"]) == (2, 20, 3, 2 * 7 * 1440)
    assert f["trades"] == 10  # 10 fills per account: 5 round trips each
    assert set(f["ms"]) == {"numbers", "picture", "page", "make"} and all(v > 0 for v in f["ms"].values())
    assert f["html_bytes"] > f["png_bytes"] > 0
    assert main(["bench", "report", "--accounts", "0"]) == 2
