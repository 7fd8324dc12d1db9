"""``priorauth_sentences``: a fast rule sentence splitter for clinical notes.

A new sentence starts after ``.``/``?``/``!`` when the next token starts with a capital or a
digit, and at a line break unless the line looks wrapped: a long line (at least
``WRAP_MIN`` characters) that ends without punctuation, followed by a line that is not a
list item or a ``Header:`` line. Much faster than PyRuSH.
"""

import re

from spacy.language import Language
from spacy.tokens import Doc

ENDERS = {".", "?", "!"}
CLOSERS = {'"', "'", ")", "\u201d", "\u2019"}  # a quote or parenthesis closed after the end
WRAP_MIN = 60
NEW_ITEM = re.compile(r"\s*(?:[-*•]|\d+[.)]|[A-Z][A-Za-z /&]{0,40}:)")


def _wrapped(text: str, newline_at: int) -> bool:
    """True when the line ending at ``newline_at`` continues on the next line."""
    line_start = text.rfind("\n", 0, newline_at) + 1
    line = text[line_start:newline_at].rstrip()
    if len(line) < WRAP_MIN or line[-1:] in ".?!:;":
        return False
    if text[newline_at:newline_at + 2] == "\n\n" or "\n\n" in text[newline_at:newline_at + 4]:
        return False
    return not NEW_ITEM.match(text, newline_at + 1)


class ClinicalSentencizer:
    """Sets ``token.is_sent_start`` on every token."""

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        for i, token in enumerate(doc):
            if i == 0:
                token.is_sent_start = True
                continue
            prev = doc[i - 1]
            gap = prev.text if prev.is_space else prev.whitespace_
            if "\n" in gap:
                at = (prev.idx if prev.is_space else prev.idx + len(prev.text)) + gap.index("\n")
                start = not _wrapped(text, at)
            else:
                j = i - 1
                while j > 0 and doc[j].is_space:  # "end.  Next": skip the extra-space token
                    j -= 1
                if doc[j].text == "," and j > 0 and doc[j - 1].text in ENDERS:
                    j -= 1  # "adenopathy.,Degenerative": line breaks that became commas
                if doc[j].text in CLOSERS and j > 0 and doc[j - 1].text in ENDERS:
                    j -= 1  # 'helped a little for a while." She was started ...'
                start = doc[j].text in ENDERS and not token.is_space and (
                    token.text[:1].isupper() or token.text[:1].isdigit())
            token.is_sent_start = bool(start)
        return doc


@Language.factory("priorauth_sentences", assigns=["token.is_sent_start"])
def make_sentences(nlp: Language, name: str) -> ClinicalSentencizer:
    """Factory for :class:`ClinicalSentencizer`."""
    return ClinicalSentencizer()
