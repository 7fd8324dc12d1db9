"""``priorauth_sentences``: a fast rule sentence splitter for clinical notes.

A new sentence starts after a line break, and after ``.``/``?``/``!`` when the next token
starts with a capital or a digit. Much faster than PyRuSH; notes are line-oriented.
"""


from spacy.language import Language
from spacy.tokens import Doc

ENDERS = {".", "?", "!"}


class ClinicalSentencizer:
    """Sets ``token.is_sent_start`` on every token."""

    def __call__(self, doc: Doc) -> Doc:
        for i, token in enumerate(doc):
            if i == 0:
                token.is_sent_start = True
                continue
            prev = doc[i - 1]
            start = "\n" in prev.text or "\n" in prev.whitespace_ or (
                prev.text in ENDERS and (token.text[:1].isupper() or token.text[:1].isdigit()))
            if prev.text.endswith(":") and "\n" not in prev.whitespace_:
                start = False
            token.is_sent_start = bool(start)
        return doc


@Language.factory("priorauth_sentences", requires=["token.text"], assigns=["token.is_sent_start"])
def make_sentences(nlp: Language, name: str) -> ClinicalSentencizer:
    """Factory for :class:`ClinicalSentencizer`."""
    return ClinicalSentencizer()
