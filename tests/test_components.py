"""Our components in a user's own spaCy pipeline: found by name through the package's
``spacy_factories`` entry points (a fresh interpreter that never imports priorauth itself),
and configured with the user's own rule files through ``rules=``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points

FACTORIES = {"priorauth_sentences", "priorauth_sections", "priorauth_targets",
             "priorauth_context"}


def test_entry_points_are_declared():
    names = {ep.name for ep in entry_points(group="spacy_factories")}
    assert FACTORIES <= names


def test_user_pipeline_by_name_with_own_rules(tmp_path):
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"rules": [
        {"id": "my_pt", "kind": "therapy", "literal": "physical therapy",
         "pattern": r"\bphysical therapy\b"},
        {"id": "my_gout", "kind": "gout", "literal": "gout", "pattern": r"\bgout\b"}]}))
    context = tmp_path / "context.json"
    context.write_text(json.dumps({"rules": [
        {"id": "my_no", "literal": "no", "category": "NEGATED_EXISTENCE",
         "direction": "FORWARD"}]}))
    script = textwrap.dedent(f"""
        import spacy
        nlp = spacy.blank("en")
        nlp.add_pipe("priorauth_sentences")
        nlp.add_pipe("priorauth_sections")
        nlp.add_pipe("priorauth_targets", config={{"rules": {str(targets)!r}}})
        nlp.add_pipe("priorauth_context", config={{"rules": {str(context)!r}}})
        doc = nlp("Family History: gout. No physical therapy yet.")
        for span in doc.spans["priorauth_facts"]:
            mods = [m.rule.metadata["id"] for m in span._.modifiers]
            print(span.label_, span.id_, mods)
        print(doc._.priorauth_sections)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "therapy my_pt ['my_no']" in out
    assert "gout my_gout []" in out
    assert "family" in out.splitlines()[-1]  # the section and the assertion it imposes
