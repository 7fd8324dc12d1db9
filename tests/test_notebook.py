"""``notebooks/validation.ipynb`` runs top to bottom (nbmake) and shows the CLI's figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from priorauth.cli import main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "validation.ipynb"
SAMPLES = ROOT / "sample_notes"


def test_committed_notebook_is_small_and_carries_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c for c in code if c.outputs or c.execution_count is not None] == []
    assert NOTEBOOK.stat().st_size < 50_000


def test_notebook_runs_under_nbmake_and_its_figures_equal_priorauth_evaluate(tmp_path):
    """The notebook finds sample_notes/ by itself (as in CI) and writes its report JSON."""
    notebook_json = tmp_path / "notebook.json"
    env = {k: v for k, v in os.environ.items() if k != "PRIORAUTH_GOLD_DIR"}
    env["PRIORAUTH_METRICS_OUT"] = str(notebook_json)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbmake", "-q", "-p", "no:cacheprovider",
         str(NOTEBOOK)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]

    cli_json = tmp_path / "cli.json"
    assert main(["evaluate", str(SAMPLES), "--format", "json", "--output", str(cli_json)]) == 0
    notebook = json.loads(notebook_json.read_text("utf-8"))
    assert notebook == json.loads(cli_json.read_text("utf-8"))
    assert len(notebook["cases"]) == len([p for p in SAMPLES.iterdir()
                                          if (p / "expected.json").exists()])
