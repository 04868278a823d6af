"""The crash harness on a small run: the app killed with SIGKILL mid fan-out and during start-up, restarted,
unanswered signals resent; nothing lost, nothing sent twice, nothing left non-final, no PENDING record, the
book equal to the venue's. (``trader-app bench crash --trials 100 --accounts 100`` is the full run.)"""

from trader_app.devtools.bench_crash import report, run_crash


async def test_a_small_crash_run_loses_and_duplicates_nothing(tmp_path):
    figures = await run_crash(trials=4, accounts=4, seed=11, data_dir=tmp_path / "app", log=lambda line: None)
    print(report(figures))
    assert figures.kills_fanout + figures.kills_startup == 4
    assert figures.journal_orders > 0 and figures.venue_orders > 0
    assert (figures.lost, figures.duplicated, figures.non_final, figures.pending_signals) == (0, 0, 0, 0)
    assert (figures.position_mismatches, figures.fill_mismatches) == (0, 0)
    assert figures.ok and not figures.notes
