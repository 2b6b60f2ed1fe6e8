"""``make bench`` reports each ratio as the median of interleaved windows (issue 13's acceptance): the
peer and the subject alternate, each window is printed with the load average, and the median printed
is the median of the windows printed. Both benchmarks in miniature, on the real servers."""

from __future__ import annotations

import re
import statistics

import pytest

from tests.bench import leader_read, pipeline, ranking_api

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def test_pipeline_ratio_is_the_median_of_three_interleaved_windows(capsys: pytest.CaptureFixture[str]) -> None:
    pipeline.main(["--events", "40", "--windows", "3", "--steady-s", "1"])
    out = capsys.readouterr().out
    # the run order: pipeline window 1, its raw peer, the backlog drained, pipeline window 2, ...
    order = re.findall(r"^(pipeline-w\d|raw|backlog-w\d):", out, re.M)
    sides = ("pipeline", "raw", "backlog")
    assert order == [side if side == "raw" else f"{side}-w{w}" for w in "123" for side in sides], order
    ratios = [float(r) for r in re.findall(r"^\s+raw .* ratio (\d+\.\d\d)\s+\(load average [\d.]+", out, re.M)]
    assert len(ratios) == 3, out
    reported = float(re.search(r"^ratio pipeline/raw \(median of 3 windows\): (\d+\.\d\d)$", out, re.M)[1])  # type: ignore[index]
    assert reported == pytest.approx(statistics.median(ratios), abs=0.011)
    drained = out[out.index("a backlog committed in one transaction, then drained") :]
    drain_ratios = [float(r) for r in re.findall(r"^\s+window \d: .* ratio (\d+\.\d\d)$", drained, re.M)]
    assert len(drain_ratios) == 3, drained
    drain = re.search(r"^ratio pipeline \(backlog drained\)/raw \(median of 3 windows\): (\d+\.\d\d)$", out, re.M)
    assert drain is not None, out
    assert float(drain[1]) == pytest.approx(statistics.median(drain_ratios), abs=0.011)


def test_leader_read_ratio_is_the_median_of_three_interleaved_windows(capsys: pytest.CaptureFixture[str]) -> None:
    leader_read.main(["--mode", "processes", "--threads", "8", "--seconds", "0.3", "--warmup-s", "0.1"])
    out = capsys.readouterr().out
    summary = out[out.index("\nleader read: GetLeader") :]
    windows = re.findall(r"^\s+w(\d) (echo|leader read)\s+8 threads .* \(load average [\d.]+", summary, re.M)
    # the peer first in each window, then the subject
    assert windows == [(w, side) for w in "123" for side in ("echo", "leader read")], windows
    rates = {
        (w, side): float(rate)
        for w, side, rate in re.findall(r"^\s+w(\d) (echo|leader read)\s+8 threads\s+(\d+) calls/s", summary, re.M)
    }
    found = re.search(r"ratio leader read / echo at 8 threads \(processes\): (\d+\.\d\d) \(median of (.*?);", summary)
    assert found is not None, summary
    each = [float(r) for r in re.findall(r"w\d (\d+\.\d\d)", found[2])]
    assert each == pytest.approx([rates[(w, "leader read")] / rates[(w, "echo")] for w in "123"], abs=0.011)
    assert float(found[1]) == pytest.approx(statistics.median(each), abs=0.011)


def test_ranking_through_the_api_ratio_is_the_median_of_three_interleaved_windows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In miniature: the api's ranking checked against the domain (the bench asserts it), the leader read
    and the ranking in alternate windows, the ratio printed the median of the windows printed."""
    ranking_api.main(
        ["--people", "150", "--roles", "3", "--changes", "2", "--threads", "1", "--seconds", "0.3", "--warmup-s", "0.1"]
    )
    out = capsys.readouterr().out
    summary = out[out.index("\nranking through the api (") :]
    windows = re.findall(r"^\s+w(\d) (leader read|ranking)\s+1 threads .* \(load average [\d.]+", summary, re.M)
    assert windows == [(w, side) for w in "123" for side in ("leader read", "ranking")], windows
    rates = {
        (w, side): float(rate)
        for w, side, rate in re.findall(r"^\s+w(\d) (leader read|ranking)\s+1 threads\s+(\d+) calls/s", summary, re.M)
    }
    found = re.search(r"ratio leader read / ranking \(calls/s\) at 1 thread: (\d+\.\d) \(median of (.*?)\);", summary)
    assert found is not None, summary
    each = [float(r) for r in re.findall(r"w\d (\d+\.\d)", found[2])]
    # the rates are printed whole and the ratio to a tenth: each window's ratio lies within what the
    # rounding of its two rates allows (a few calls a second in a short window move it by several percent)
    for w, ratio in zip("123", each, strict=True):
        reads, rankings = rates[(w, "leader read")], rates[(w, "ranking")]
        assert (reads - 0.5) / (rankings + 0.5) - 0.05 <= ratio <= (reads + 0.5) / max(rankings - 0.5, 0.5) + 0.05, (
            w,
            ratio,
            reads,
            rankings,
        )
    assert float(found[1]) == pytest.approx(statistics.median(each), abs=0.051)
    assert re.search(r"the trust's 3 open roles re-ranked through the api \(2 changes\): p50 \d+ ms", summary)
    assert re.search(r"memory per person: PostgreSQL \d+ bytes .* columnar in memory \d+ bytes", summary)
