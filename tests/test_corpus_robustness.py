"""Every real transcribed note of the shared MTSamples spine corpus goes through extraction."""

from __future__ import annotations

from pathlib import Path

import pytest

from priorauth.extract.ingest import read_document
from priorauth.extract.pipeline import extract_facts

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mtsamples-spine" / "notes"
NOTES = sorted(CORPUS.glob("*.txt"))


def test_the_shared_corpus_is_there():
    assert len(NOTES) >= 300, f"expected the MTSamples notes under {CORPUS}"


def test_every_real_note_is_read_without_error_and_evidence_slices_its_text():
    for path in NOTES:
        document = read_document(path)
        text = document.pages[0].text
        for fact in extract_facts([document]):
            assert text[fact.evidence.start:fact.evidence.end] == fact.evidence.text, path.name


@pytest.mark.parametrize(("note", "kind", "absent"), [
    ("1549_mri-t-spine-spinal-mets.txt", "conservative_therapy", "PT & PTT were normal"),
    ("1952_transforaminal-epidural-steroid-injection-1.txt", "trauma", "nerve injuries"),
])
def test_known_false_positives_stay_fixed(note, kind, absent):
    path = CORPUS / note
    facts = [f for f in extract_facts([read_document(path)])
             if f.kind == kind and f.assertion.value == "present" and absent in f.evidence.text]
    assert facts == []
