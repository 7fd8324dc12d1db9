"""export-gold: reviewed cases of a data folder become gold folders that evaluate reads."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from priorauth.cli import main
from priorauth.gold import load_cases
from priorauth.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOTE = (Path(__file__).resolve().parents[1] / "sample_notes" / "01_pt_failed_pacemaker" /
        "spine_followup_2026-10-02.txt")


def test_a_corrected_and_referred_case_is_exported_and_evaluated(tmp_path, capsys):
    data = tmp_path / "data"
    app = create_app(data, allowed_hosts=["testserver"])
    with TestClient(app) as client:
        ids = []
        for _ in range(2):
            response = client.post("/api/reviews", data={"cpt": "72131", "age": "57",
                                                         "request_date": "2026-10-14"},
                                   files=[("files", (NOTE.name, NOTE.read_bytes()))])
            ids.append(response.json()["id"])
        for review_id in ids:
            while not client.get(f"/api/reviews/{review_id}/status").json()["done"]:
                time.sleep(0.1)
        first, second = ids
        machine = client.get(f"/api/reviews/{first}").json()
        met = next(c["id"] for c in machine["criteria"] if c["id"].count(".") == 1
                   and c["id"].startswith("ind.") and c["status"] == "met")
        client.post(f"/api/reviews/{first}/criteria/{met}/override",
                    json={"status": "not_met", "comment": "PT not documented",
                          "reviewer": "Ann"})
        client.post(f"/api/reviews/{first}/decisions",
                    json={"criterion_id": "non.1", "action": "agree", "reviewer": "Ann"})
        client.post(f"/api/reviews/{first}/decisions",
                    json={"criterion_id": "final", "action": "refer_to_physician",
                          "reviewer": "Ann"})
        # the second has no final decision: not exported
    app.state.store.close()
    out = tmp_path / "gold"
    assert main(["export-gold", "--data-dir", str(data), str(out)]) == 0
    cases = load_cases(out)
    assert len(cases) == 1
    expected = json.loads((out / f"case_{first[:12]}" / "expected.json").read_text())
    assert expected["criteria"][met] == "not_met"
    assert expected["criteria"]["non.1"] == machine["criteria"][[c["id"] for c in
                                                                 machine["criteria"]]
                                                                .index("non.1")]["status"]
    assert expected["overrides"] == {met: {"machine": "met", "reviewer": "not_met"}}
    assert expected["determination"] != "meets_criteria"
    assert "PT not documented" in expected["why"]
    assert (out / f"case_{first[:12]}" / NOTE.name).read_bytes() == NOTE.read_bytes()
    capsys.readouterr()
    status = main(["evaluate", str(out), "--format", "json"])
    report = capsys.readouterr().out
    assert status in (0, 1), report
    assert json.loads(report)


def test_override_rates_and_the_notebook_show_them(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    from priorauth.gold import override_rates

    gold = tmp_path / "gold"
    for name, overrides, criteria in (
            ("a", {"ind.1": {"machine": "met", "reviewer": "not_met"}},
             {"ind.1": "not_met", "non.1": "not_met"}),
            ("b", {}, {"ind.1": "met"})):
        case = gold / name
        case.mkdir(parents=True)
        (case / "n.txt").write_bytes(NOTE.read_bytes())
        (case / "request.json").write_text(json.dumps({"cpt": ["72131"], "age": 57,
                                                       "request_date": "2026-10-14"}))
        (case / "expected.json").write_text(json.dumps({
            "determination": "meets_criteria", "criteria": criteria, "overrides": overrides,
            "why": "test"}))
    rates = {r.id: (r.reviewed, r.overridden) for r in override_rates(gold)}
    assert rates == {"ind.1": (2, 1), "non.1": (1, 0)}
    assert override_rates(Path(__file__).resolve().parents[1] / "sample_notes") == []

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "validation.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    monkeypatch.setenv("PRIORAUTH_GOLD_DIR", str(gold))
    monkeypatch.delenv("PRIORAUTH_METRICS_OUT", raising=False)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "ind.1" in text and "50%" in text
