"""``bench --sweep``: the two sweep rows are produced and their consistency checks hold (timings not asserted)."""

import json

import pytest

from scalingsym.cli import main


@pytest.mark.slow
def test_bench_sweep_rows_quick(capsys, tmp_path):
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--sweep", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 vs 1 workers" in text and "overhead <= 15%" in text
    th, sim = json.loads(out.read_text())["sweep"]
    # the sweep and the direct fast-path call evaluate the same interpolant: agreement to rounding
    assert th["max_rel_diff_to_direct"] < 1e-12
    # seeds come from coordinates, so 1 worker, 2 workers and in-process give the same bytes
    assert sim["identical_1_2_workers_in_process"] is True
