"""A review in words, for people: the headline names the indication, reasons are sentences
with their quote, policy notes carry their text, discarded facts say what was discarded and
why. A presentation layer only: the review JSON (``Review.to_json()``) keeps its ids.

Ids (``ind.1.2``, rule ids, character offsets) are for the "details" of the reports and the
review page, never for the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from priorauth.models import CriterionResult, Evidence, Fact, Review, Status

__all__ = ["Sentence", "criterion_words", "fact_words", "headline", "note_texts", "opened",
           "reason_sentences", "short", "why"]

CRITERION_ID = re.compile(r"\b(?:ind|non)\.\d+(?:\.\d+)*\b")
_OP_REASON = re.compile(r"^(ALL|ANY): (.*)$")
_CHILD = re.compile(r"((?:ind|non)\.\d+(?:\.\d+)*) (met|not_met|unknown)")
_FAILED_DAYS = re.compile(r"^(\w+) (\d+) days(?:, failed|; failure documented)$")
_MRI_NOT_POSSIBLE = re.compile(r"^MRI not possible: (\w+)$")

HEAD = {
    "meets_criteria": "Meets criteria",
    "not_met": "Criteria not met — refer to a clinical reviewer",
    "insufficient_documentation": "Insufficient documentation",
    "not_applicable": "Not applicable",
}
ASSERTION = {
    "negated": "denied",
    "possible": "only possible or suspected",
    "hypothetical": "planned or conditional, not done",
    "historical": "in the past",
    "family": "in the family, not the patient",
    "present": "present",
}
STATUS = {Status.met: "met", Status.not_met: "not met", Status.unknown: "unknown"}


@dataclass(frozen=True)
class Sentence:
    """One reason in words and the quote that backs it (``None`` when there is none)."""

    text: str
    quote: Evidence | None = None


_ACRONYM = re.compile(r"\b(mri|ct|csf|pt|hiv|ms|esi|ed|xray)\b")
_MENTIONS = re.compile(r" \(\d+ mentions, first \d+ cited\)")


def _human(word: str) -> str:
    """``"mri_contraindicated"`` -> ``"MRI contraindicated"``."""
    text = word.replace("_", " ")
    return _ACRONYM.sub(lambda m: "X-ray" if m.group(1) == "xray" else m.group(1).upper(), text)


def _lower_first(text: str) -> str:
    """``"New onset pain"`` -> ``"new onset pain"``; ``"MRI ..."`` and ``"CSF"`` unchanged."""
    if text and text[0].isupper() and not (len(text) > 1 and text[1].isupper()):
        return text[0].lower() + text[1:]
    return text


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def short(text: str, limit: int = 90) -> str:
    """A criterion's text cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _texts(review: Review) -> dict[str, str]:
    return {c.id: c.text for c in review.criteria}


def _ids_in_words(text: str, texts: dict[str, str]) -> str:
    return CRITERION_ID.sub(lambda m: f"“{_lower_first(texts.get(m.group(0), m.group(0)))}”",
                            text)


def leaf_words(reason: str) -> str:
    """A leaf's scoring reason in words (``"physical_therapy 56 days, failed"`` ->
    ``"8 weeks of physical therapy, failed"``)."""
    reason = _MENTIONS.sub("", reason)
    found = _FAILED_DAYS.match(reason)
    if found:
        days = int(found.group(2))
        weeks = f"{days // 7} weeks" if days >= 14 else f"{days} days"
        return f"{weeks} of {_human(found.group(1))}, failed"
    found = _MRI_NOT_POSSIBLE.match(reason)
    if found:
        why = found.group(1)
        return "MRI contraindicated" + ("" if why in ("documented", "mri_not_possible")
                                        else f" ({_human(why)})")
    if reason.startswith("no mention of "):
        return "nothing in the chart about " + _human(reason[len("no mention of "):])
    return _human(reason)


def criterion_words(criterion: CriterionResult, texts: dict[str, str]) -> str:
    """Why a criterion has its status, as a sentence without ids."""
    found = _OP_REASON.match(criterion.reason or "")
    if not found:
        return _sentence(leaf_words(criterion.reason)) if criterion.reason else ""
    op, rest = found.groups()
    children = [(cid, Status(status)) for cid, status in _CHILD.findall(rest)]

    def names(status: Status) -> str:
        return "; ".join(_lower_first(short(texts.get(cid, cid), 70))
                         for cid, s in children if s == status)

    status = criterion.status
    if op == "ALL":
        if status == Status.met:
            return "All of its parts are met."
        if status == Status.not_met:
            return _sentence("not met: " + names(Status.not_met))
        return _sentence("still unknown: " + names(Status.unknown))
    if status == Status.met:
        return _sentence("met by: " + names(Status.met))
    if status == Status.not_met:
        return "None of its options is met."
    return _sentence("none met so far; still unknown: " + names(Status.unknown))


def _first_quote(criterion: CriterionResult | None) -> Evidence | None:
    return criterion.evidence[0] if criterion is not None and criterion.evidence else None


def _met_summary(review: Review, indication: str) -> list[str]:
    """Short phrases for what met an indication: its met leaves that say something."""
    phrases: list[str] = []
    prefix = indication + "."
    for c in review.criteria:
        if not c.id.startswith(prefix) or c.status != Status.met or _OP_REASON.match(c.reason):
            continue
        reason = _MENTIONS.sub("", c.reason)
        if not reason or reason.endswith(" documented") or c.reason.startswith("new-onset"):
            continue  # "medication documented": said by the indication's own words
        phrase = leaf_words(c.reason)
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases[:3]


def headline(review: Review) -> str:
    """The determination in words, naming the indication (or what is missing).

    ``"Meets criteria — new onset pain or radiculopathy without trauma or significant
    mechanism of injury: MRI contraindicated (pacemaker), 8 weeks of physical therapy,
    failed"``.
    """
    texts = _texts(review)
    value = review.determination.value
    head = HEAD[value]
    met_top = [c for c in review.criteria if c.id.count(".") == 1 and c.status == Status.met]
    met_ind = [c for c in met_top if c.id.startswith("ind.")]
    met_non = [c for c in met_top if c.id.startswith("non.")]
    if value == "not_applicable":
        return head + " — no requested CPT code is covered by this policy"
    if value == "meets_criteria" and met_ind:
        first = met_ind[0]
        summary = _met_summary(review, first.id)
        more = f" (and {len(met_ind) - 1} more indication{'s' if len(met_ind) > 2 else ''})" \
            if len(met_ind) > 1 else ""
        return (f"{head} — {_lower_first(first.text)}{more}"
                + (": " + ", ".join(summary) if summary else ""))
    if value == "not_met" and met_non and review.reasons and \
            review.reasons[0].startswith("non-indication"):
        return f"{head}: {_lower_first(met_non[0].text)}"
    if value == "insufficient_documentation":
        if review.missing:
            first = review.missing[0]
            leaves = [_lower_first(short(texts.get(x, x), 50)) for x in first.unknown]
            ask = leaves[0] + (f" (and {len(leaves) - 1} more)" if len(leaves) > 1 else "")
            more = (f" (and {len(review.missing) - 1} more indication"
                    f"{'s' if len(review.missing) > 2 else ''})" if len(review.missing) > 1
                    else "")
            return (f"{head} — {_lower_first(short(texts.get(first.indication, ''), 60))} is "
                    f"in play{more}: ask the provider for: {ask}")
        if met_ind:
            return (f"{HEAD['insufficient_documentation']} — "
                    f"{_lower_first(met_ind[0].text)} is met, but see the alerts")
    if value == "not_met":
        return f"{head}: no indication is met or partially supported"
    return head


def reason_sentences(review: Review) -> list[Sentence]:
    """Each reason of the determination as a sentence without ids, with the quote of the
    criterion it names (its first evidence)."""
    texts = _texts(review)
    by_id = {c.id: c for c in review.criteria}
    out = []
    for reason in review.reasons:
        ids = CRITERION_ID.findall(reason)
        ask = re.match(r"^indication (\S+) is in play but not documented: ask for (.*)$", reason)
        if ask:
            leaves = [_lower_first(short(texts.get(x, x), 80)) for x in CRITERION_ID.findall(
                ask.group(2))]
            text = (f"“{_lower_first(texts.get(ask.group(1), ask.group(1)))}” is in play but "
                    f"not documented: ask the provider for: " + "; ".join(leaves))
        else:
            text = _ids_in_words(reason, texts)
            text = re.sub(r"^(non-)?indication “", lambda m: ("the non-indication “" if m.group(1)
                                                              else "the indication “"), text)
        quote = _first_quote(by_id.get(ids[0])) if ids else None
        if quote is None and ask:  # what put the indication in play
            quote = next((c.evidence[0] for c in review.criteria
                          if c.id.startswith(ask.group(1) + ".") and c.status == Status.met
                          and c.evidence), None)
        out.append(Sentence(_sentence(text), quote))
    return out


@lru_cache(maxsize=1)
def _policy_notes() -> dict[str, str]:
    from priorauth.scoring.tree import load_policy

    return {note_id: note.text for note_id, note in load_policy().notes.items()}


def note_texts(review: Review) -> list[str]:
    """The policy notes the review triggered, as the policy words them."""
    notes = _policy_notes()
    return [notes.get(n, _human(n.removeprefix("note."))) for n in review.notes]


def fact_words(fact: Fact) -> str:
    """A fact read from the chart in words: ``"MRI contraindicated (pacemaker) — in the
    past"``; the quote is shown beside it."""
    what = _human(fact.kind)
    detail = [_human(str(v)) for k, v in fact.value.items()
              if k in ("reason", "therapy", "modality", "mechanism", "region", "result")
              and isinstance(v, str) and v != "mri_not_possible" and _human(str(v)) != what]
    if detail:
        what += " (" + ", ".join(detail) + ")"
    return f"{what} — {ASSERTION.get(fact.assertion.value, fact.assertion.value)}"


def why(review: Review, criterion: CriterionResult) -> str:
    """:func:`criterion_words` of one criterion of ``review``."""
    return criterion_words(criterion, _texts(review))


def opened(review: Review) -> set[str]:
    """Criteria shown open: the in-play indications down to (and with) their unknown leaves,
    the list of what to ask the provider for. Everything else, met subtrees included, starts
    as one line."""
    out: set[str] = set()
    for m in review.missing:
        out.add(m.indication)
        for leaf in m.unknown:
            parts = leaf.split(".")
            out |= {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
    return out
