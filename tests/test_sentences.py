"""The clinical sentence splitter (extract/components/sentences.py) on the shapes it must split
and the ones it must not."""

from __future__ import annotations

import pytest

from priorauth.extract.pipeline import build_nlp


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


@pytest.mark.parametrize(("text", "sentences"), [
    # a quote or parenthesis closed after the period ends the sentence
    ('PT, ten visits, which she says "helped a little for a while." She was started on '
     'meloxicam in May.', 2),
    ("Seen by neurology (no myelopathy.) Then back to PT.", 2),
    # run-on MTSamples lines: a period and comma where a line break was
    ("No adenopathy.,Degenerative changes at L4-5.", 2),
    # counterexamples: an abbreviation or a lowercase continuation does not end one
    ('She said "no." then left.', 1),
    ("Naproxen 500 mg p.o. b.i.d. for 8 weeks.", 1),
])
def test_sentence_ends(nlp, text, sentences):
    assert len(list(nlp(text).sents)) == sentences, [s.text for s in nlp(text).sents]
