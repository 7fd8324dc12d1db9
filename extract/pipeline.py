"""Chart text -> facts: a medspaCy pipeline (own target, ConText and section rules).

``build_nlp`` assembles: medspaCy tokenizer, ``priorauth_sentences``, ``priorauth_targets``
(regex rules from ``rules/targets.json``, results in the span group ``priorauth_facts`` so
facts may overlap) and medspaCy's ConText (rules from ``rules/context.json``; medspaCy's
default rules are off). ``extract_facts`` turns each matched span into a
:class:`~priorauth.models.Fact` with its assertion, section, note date, values and evidence.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import sys
import threading
import types
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

from priorauth.extract import values as V
from priorauth.extract.encounters import page_note_marks
from priorauth.extract.ingest import Document, Page
from priorauth.extract.resolve import resolve
from priorauth.extract.rules_io import section_rules, target_rules
from priorauth.models import Assertion, Evidence, Fact
from priorauth.models.kinds import fact_kinds

SPAN_GROUP = "priorauth_facts"
MAX_EVIDENCE = 240
# ConText category -> assertion, strongest first (a family mention stays family if negated).
CATEGORY_ASSERTION = (("FAMILY", Assertion.family), ("NEGATED_EXISTENCE", Assertion.negated),
                      ("HYPOTHETICAL", Assertion.hypothetical),
                      ("POSSIBLE_EXISTENCE", Assertion.possible),
                      ("HISTORICAL", Assertion.historical))


@contextlib.contextmanager
def _medspacy_without_quickumls():
    """Import medspaCy without QuickUMLS, which it imports only to register a component we do
    not use, and which pulls in nltk and scipy: about a second per process. The stand-in
    modules are removed again afterwards, so a later ``import quickumls`` gets the real one."""
    if "quickumls" in sys.modules or "medspacy" in sys.modules:
        yield
        return
    stub = types.ModuleType("quickumls")
    stub.spacy_component = types.ModuleType("quickumls.spacy_component")
    sys.modules["quickumls"] = stub
    sys.modules["quickumls.spacy_component"] = stub.spacy_component
    try:
        yield
    finally:
        for name in ("quickumls", "quickumls.spacy_component"):
            if sys.modules.get(name) in (stub, stub.spacy_component):
                del sys.modules[name]


#: spaCy does not promise that one pipeline may process two texts at once from two threads:
#: each call into it holds this lock (per page segment, so a long chart and a short one in
#: two threads take turns page by page; reading and OCR run alongside).
NLP_LOCK = threading.Lock()


@cache
def build_nlp():
    """The extraction pipeline, built once per process."""
    import warnings

    from loguru import logger

    logger.disable("PyRuSH")
    # ConText's token Matcher is empty (our cues are phrases): spaCy's W036 would fire per doc.
    warnings.filterwarnings("ignore", message=r".*\[W036\] The component 'matcher'")
    with _medspacy_without_quickumls():
        import medspacy  # noqa: F401  (registers the medspaCy factories)
    import spacy
    from medspacy.custom_tokenizer import create_medspacy_tokenizer

    import priorauth.extract.components  # noqa: F401  (registers our factories)

    nlp = spacy.blank("en")
    nlp.tokenizer = create_medspacy_tokenizer(nlp)
    nlp.add_pipe("priorauth_sentences")
    nlp.add_pipe("priorauth_sections")
    nlp.add_pipe("priorauth_targets", config={"span_group": SPAN_GROUP})
    nlp.add_pipe("priorauth_context", config={"span_group": SPAN_GROUP})
    return nlp


def find_sections(text: str) -> list[tuple[int, str, str | None]]:
    """(offset, category, imposed assertion) for every section header in ``text``."""
    return _section_finder().find(text)


@cache
def _section_finder():
    from priorauth.extract.components.sections import SectionFinder

    return SectionFinder(section_rules())


def _last_before(marks: list[tuple], offset: int):
    found = None
    for mark in marks:
        if mark[0] <= offset:
            found = mark
        else:
            break
    return found


def _clause(sent_text: str, rel_start: int, rel_end: int) -> tuple[int, int]:
    """The clause of a sentence around a mention: cut at ';' and at ' but ' / ' however '."""
    cuts = [0]
    for m in re.finditer(r";|\bbut\b|\bhowever\b|\balthough\b", sent_text, re.I):
        cuts.append(m.start())
    cuts.append(len(sent_text))
    # a mention may run past its sentence (a checkbox field split mid-match): clamp to it
    rel_start = min(max(rel_start, 0), len(sent_text))
    rel_end = min(max(rel_end, rel_start), len(sent_text))
    start = max(c for c in cuts if c <= rel_start)
    end = min(c for c in cuts if c >= rel_end)
    return start, end


def _evidence_span(text: str, sent_start: int, sent_end: int, start: int,
                   end: int) -> tuple[int, int]:
    """The sentence around a mention, trimmed of whitespace, at most ~MAX_EVIDENCE chars."""
    s, e = sent_start, sent_end
    if e - s > MAX_EVIDENCE:
        s = max(s, start - MAX_EVIDENCE // 2)
        e = min(e, end + MAX_EVIDENCE // 2)
        while s > sent_start and not text[s - 1].isspace():
            s += 1
            if s >= start:
                s = start
                break
        while e < sent_end and e > end and not text[e].isspace():
            e -= 1
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


LOWER_LIMB = re.compile(r"\b(?:leg|legs|lower extremit\w*|ankle|knee|hip|foot|feet|toe|EHL|"
                        r"dorsiflex\w*|plantar ?flex\w*|quad\w*|tibialis|gastroc\w*|L[1-5]|S1)\b",
                        re.I)
NEUROPATHY = re.compile(r"\b(?:neuropath\w*|stocking[- ]glove|carpal tunnel|median[- ]nerve|"
                        r"ulnar (?:nerve|neuropathy|entrapment)|cubital tunnel|Tinel\w*|"
                        r"peroneal (?:nerve|neuropathy|palsy)|nerve injury)\b", re.I)


POSTOP = re.compile(r"\b(?:post-?op(?:erative(?:ly)?)?(?!\s+diagnos)|"
                    r"(?:did not have|didn't have|was not present|were not present|absent) "
                    r"(?:\w+ ){0,2}before (?:the |his |her )?(?:surgery|operation)|"
                    r"(?:since|after|following) (?:the |his |her |their |this |that )?"
                    r"(?:[\w-]+ ){0,2}"
                    r"(?:surgery|operation|fusion|laminectomy|"
                    r"discectomy|diskectomy|decompression|procedure|ACDF|TLIF|PLIF|"
                    r"instrumentation)|POD ?#?\d+|(?:at|since) discharge)\b", re.I)
VISITS = re.compile(r"\b(?:visits?|sessions?|treatments?|appointments?|attended)\b", re.I)


def _therapy_values(clause: str, rel: tuple[int, int], ref: date | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    durations = V.find_durations(clause, ref)
    hit = V.nearest(durations, *rel, limit=60)
    if hit is not None:
        d: V.Duration = hit.value
        if d.days is not None:
            out["days"] = d.days
        if d.start is not None:
            out["start"] = d.start.isoformat()
        if d.end is not None:
            out["end"] = d.end.isoformat()
    if "end" not in out and "start" not in out:
        dates = V.find_dates(clause, ref)
        log = sorted(f.value for f in dates)
        if hit is None and (len(log) >= 3 or (len(log) == 2 and VISITS.search(clause))):
            # a visit log, "PT visits: 8/20, 8/27, 9/3, 9/17": first to last visit
            out.update(days=(log[-1] - log[0]).days, start=log[0].isoformat(),
                       end=log[-1].isoformat())
        else:
            when = V.nearest(dates, *rel, limit=60)
            year = V.YEAR.search(clause)
            if when is not None:
                out["date"] = when.value.isoformat()
            elif year is not None:  # "10 weeks of PT in 2023": dated by its year
                out["date"] = date(int(year.group()), 7, 1).isoformat()
    outcome = V.find_outcome(clause)
    if outcome:
        out["outcome"] = outcome
    return out


def _symptom_values(clause: str, rel: tuple[int, int], ref: date | None,
                    kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    durations = [f for f in V.find_durations(clause, ref)]
    hit = V.nearest(durations, *rel, limit=80)
    if hit is not None:
        d: V.Duration = hit.value
        if d.ago and d.end is not None and ref is not None:
            out["onset_days"] = (ref - d.end).days
        elif d.days is not None:
            out["onset_days"] = d.days
    change = V.find_change(clause, *rel)
    if change:
        out["change"] = change
    if POSTOP.search(clause):
        out["postoperative"] = True  # "new L5 weakness since surgery": after the operation
    if kind == "objective_weakness" and LOWER_LIMB.search(clause):
        out["lower_extremity"] = True
    if kind in ("objective_weakness", "dermatomal_sensory_loss", "myelopathy_sign") and (
            NEUROPATHY.search(clause)):
        out["neuropathy"] = True
    return out


def _imaging_values(clause: str, rel: tuple[int, int], ref: date | None,
                    sentence: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    when = V.nearest(V.find_dates(clause, ref), *rel, limit=60)
    if when is None:
        ago = [f for f in V.find_durations(clause, ref) if f.value.ago]
        hit = V.nearest(ago, *rel, limit=40)
        if hit is not None and hit.value.end is not None:
            out["date"] = hit.value.end.isoformat()
    else:
        out["date"] = when.value.isoformat()
    aborted = V.IMAGING_ABORTED.search(sentence)
    result = ("aborted" if aborted else
              V.find_imaging_result(clause[rel[1]:]) or V.find_imaging_result(clause)
              # "radiographs today: AP view limited; lateral view shows possible ...": the
              # report goes on past the clause
              or V.find_imaging_result(sentence[sentence.find(clause) + len(clause):]))
    if result and "date" not in out and not aborted and not REPORTED.search(clause):
        # "CT best answers the fracture question": words about a finding, no study reported
        result = None
    if result:
        out["result"] = result
        if result in ("abnormal", "stable", "equivocal", "indeterminate"):
            injury = V.injury_finding(clause[rel[1]:] or clause)
            if injury is not None:
                out["injury"] = injury
    elif "date" not in out and any(not NOT_BEFORE.search(clause, 0, m.start())
                                   for m in STUDY_DONE.finditer(clause)):
        out["done"] = True  # "she has had an MRI": done, though its date and result are not given
    return out


# "MRI ... cannot be performed", "was not obtained": the verb of a study not done
NOT_BEFORE = re.compile(r"\b(?:not|cannot|can't|couldn't|unable to|never)\s+(?:\w+\s+){0,1}$",
                        re.I)
STUDY_DONE = re.compile(r"\b(?:had|has had|have had|underwent|undergone|performed|obtained|"
                        r"completed|showed|shows|revealed|reveals|demonstrated|demonstrates|"
                        r"personally reviewed)\b", re.I)


# A study that was done and read: a report verb, or "MRI L-spine: ..." / "on MRI".
REPORTED = re.compile(r"\b(?:show(?:s|ed|ing|n)?|demonstrat\w+|reveal\w*|found|noted|read as|"
                      r"unremarkable|within normal limits|(?:has|have) been (?:normal|abnormal|"
                      r"negative|positive)|"
                      r"interpreted|impression|findings?|consistent with|c/w|dated|performed|"
                      r"obtained|done|confirm\w*|seen|visualized|identified|suggest\w*)\b|"
                      r"(?:MRI|CT|x-?rays?|XR|films?|radiographs?|scan)\b[^:.;]{0,30}:|"
                      r"(?:MRI|CT|x-?rays?|XR|films?|radiographs?|scan|study)\s+(?:(?:is|are|was|"
                      r"were)\s+)?(?:equivocal|indeterminate|inconclusive|normal|abnormal|"
                      r"negative|unremarkable|non-?diagnostic|positive)\b|"
                      r"\b(?:on|by) (?:the )?(?:prior |recent )?(?:MRI|CT|x-?rays?|films?|"
                      r"radiographs?|imaging)\b", re.I)

REGIONAL = {"pain", "radiculopathy", "imaging", "fracture", "spinal_neoplasm", "ligamentous_injury",
            "spondylosis"}
SYMPTOMS = {"pain", "radiculopathy", "myelopathy_sign", "neuro_symptom", "objective_weakness",
            "dermatomal_sensory_loss", "bladder_dysfunction", "bowel_dysfunction",
            "saddle_anesthesia", "sexual_dysfunction", "headache", "symptoms", "cord_injury"}


# Words that may stand between a negation and the study it denies: "no prior CT or MRI",
# "never had a CT". Any other word means the negation is about a finding ("no fracture on
# plain film"), not about whether the study was done.
STUDY_GAP_WORDS = {"prior", "previous", "recent", "a", "an", "any", "the", "or", "and", "/",
                   ",", "ct", "mri", "imaging", "x-ray", "xray", "x-rays", "radiographs",
                   "films", "further", "advanced", "spine", "spinal", "repeat", "lumbar",
                   "cervical", "thoracic", "cross-sectional", "scan", "scans", "of",
                   # "we do not have any baseline films", "no outside imaging"
                   "baseline", "old", "outside", "earlier", "initial", "plain"}


def _denies_the_study(span, modifier) -> bool:
    doc = span.doc
    m_start, m_end = modifier.modifier_span
    if m_end <= span.start:  # "no prior MRI"
        gap = doc[m_end:span.start]
    elif m_start >= span.end:  # "MRI not done"
        if V.IMAGING_NORMAL.search(doc[m_start:m_end].text):
            return False  # "X-rays unremarkable", "bone scan was negative": read, so done
        gap = doc[span.end:m_start]
    else:
        return True
    words = [t.lower_ for t in gap if not t.is_space]
    return len(words) <= 4 and all(w in STUDY_GAP_WORDS for w in words)


# "completed 12 sessions", "continue PT", "since the start of PT": a treatment given, though a
# referral or plan is named in the same sentence
THERAPY_GIVEN = re.compile(r"\b(?:completed|attended|finished|participated in|underwent|"
                           r"continues?|continued|continuing|since (?:the )?start(?:ing)?|"
                           r"has been (?:doing|attending|going to))\b", re.I)
STARTED_TODAY = re.compile(r"\b(?:prescribed|started|starting|start|begin|beginning|given|sent|"
                           r"e-?prescribed|new (?:rx|prescription))\b[^.;]{0,50}\b(?:today|now)\b",
                           re.I)
# "MRI ... performed 08/14/2026 shows": a study reported, though its order is quoted
STUDY_REPORTED = re.compile(r"\b(?:showed|shows|revealed|reveals|demonstrated|demonstrates|"
                            r"underwent|has had|have had|"
                            r"(?:was|were) (?:performed|obtained|done))\b|\bperformed (?:on )?"
                            r"\d", re.I)


CONTRAST = re.compile(r"\b(?:contrast|gadolinium|gad|gadolinium-based|GBCA|dye)\b", re.I)
OTHER_MRI_BARRIER = re.compile(r"\b(?:pacemaker|pacer|defibrillator|(?-i:ICD|AICD)|implant\w*|"
                               r"stimulator|clip|shrapnel|metal\w*|fragment\w*|claustrophob\w*|"
                               r"habitus|weight|bore|leads?|cochlear|pump|tremor|motion)\b", re.I)
EXCLUDED_AFTER = re.compile(
    r"[^.;,]{0,50}?\b(?:(?:was|were|is|are|has been|have been)\s+)?(?:(?:considered|suspected)\s+"
    r"(?:but|and)\s+)?(?:excluded|ruled out|not (?:seen|found|confirmed|present|planned|"
    r"indicated|pursued|recommended|identified))\b", re.I)
# "not excluded", "cannot be ruled out", "until fracture is excluded": still possible
NOT_YET_EXCLUDED = re.compile(r"\b(?:not|cannot|can't|could not|until|unless|if|whether|to be)\b",
                              re.I)


# "Transverse myelitis was considered but CSF and MRI were normal"
CONSIDERED_BUT_NORMAL = re.compile(
    r"[^.;]{0,30}?\b(?:considered|raised|suspected|entertained)\b[^.;]{0,12}?(?:\bbut\b|;)[^.]{0,70}?"
    r"\b(?:normal|negative|unremarkable|showed no|no evidence)\b", re.I)


# "Scoliosis screening negative", "MS workup was negative"
NEGATIVE_AFTER = re.compile(r"\s*(?:(?:screen\w*|work-?up|test\w*|evaluation)\s+)?"
                            r"(?:(?:is|was|were)\s+)?negative\b(?!\s+for)", re.I)


def _excluded_after(text: str, start: int, at: int) -> bool:
    """The words after a mention exclude it ("... was considered but excluded")."""
    if CONSIDERED_BUT_NORMAL.match(text, at) or NEGATIVE_AFTER.match(text, at):
        return True
    m = EXCLUDED_AFTER.match(text, at)
    if m is None:
        return False
    said = m.group()
    verb_at = max(said.rfind("excluded"), said.rfind("ruled out"))
    head = said[:verb_at] if verb_at >= 0 else said[:said.rfind("not ")]
    before = text[max(0, start - 15):start]
    return not (NOT_YET_EXCLUDED.search(head) or NOT_YET_EXCLUDED.search(before))


NEW_EVENT = re.compile(r"\b(?:new|newly|now|recent|recently|acute|acutely|current(?:ly)?)\b", re.I)
# "CT to rule out fracture", "MRI to evaluate for cord compression": a study named by its purpose
STUDY_PURPOSE = re.compile(r"[^.;\n]{0,40}?\bto (?:rule out|r/o|exclude|evaluate(?: for)?|assess "
                           r"for|look for)\b", re.I)


def _cue_chars(span, modifier) -> tuple[int, int]:
    doc = span.doc
    start, end = modifier.modifier_span
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)


def _therapy_modifiers(span, sent, mods: list) -> list:
    """A treatment's outcome is not a denial that it was given ("PT was not helpful", "no
    relief from ibuprofen": the cue lies inside failure language), and a treatment said to be
    completed or continuing is not a plan ("referred to PT and completed 12 sessions")."""
    failed = [(m.start() + sent.start_char, m.end() + sent.start_char)
              for m in V.FAILED.finditer(sent.text)]
    given = bool(THERAPY_GIVEN.search(sent.text))
    kept = []
    for m in mods:
        if m.category in ("NEGATED_EXISTENCE", "HYPOTHETICAL") and failed:
            c_start, c_end = _cue_chars(span, m)
            if any(f_start <= c_start < f_end or c_start <= f_start < c_end
                   for f_start, f_end in failed):
                continue
        if m.category == "HYPOTHETICAL" and given:
            continue
        kept.append(m)
    return kept


def _imaging_cues(span, sent, cues: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(category, rule id) of a study's cues: a study "to rule out" a finding is planned, not
    possible; a study whose result the sentence reports was done, though its order is quoted
    with it ("CT ordered in the ED showed ...")."""
    reported = bool(STUDY_REPORTED.search(sent.text))
    purpose = STUDY_PURPOSE.match(sent.text, span.end_char - sent.start_char)
    if purpose and not reported:
        cues = [*cues, ("HYPOTHETICAL", "study_purpose")]
    out = []
    for category, rule_id in cues:
        if category == "HYPOTHETICAL" and reported:
            continue
        out.append(("HYPOTHETICAL" if category == "POSSIBLE_EXISTENCE" else category, rule_id))
    return out


def _sentences(doc) -> list:
    """A doc's sentences, from a per-doc table (Span.sent rescans the doc each time)."""
    table = doc.user_data.get("priorauth_sents")
    if table is None:
        sents = list(doc.sents)
        table = (sents, [s.start for s in sents])
        doc.user_data["priorauth_sents"] = table
    return table[0]


def _sentence(span):
    """The sentence of a span."""
    sents = _sentences(span.doc)
    starts = span.doc.user_data["priorauth_sents"][1]
    return sents[bisect.bisect_right(starts, span.start) - 1]


DURATION_BEFORE = re.compile(
    r"\b(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|several|few)[- ]?"
    r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?)[- ](?:long )?$", re.I)


def _duration_before(span, modifier) -> bool:
    at = _cue_chars(span, modifier)[0]
    return bool(DURATION_BEFORE.search(span.doc.text[max(0, at - 30):at]))


DEVICE_KINDS = frozenset({"mri_contraindicated", "mri_conditional_device"})
# an if-clause still open where the mention starts: "if" with no clause break after it
IF_WORD = re.compile(r"\b(?:if|unless|in case|should (?:there|it|the|a|an))\b", re.I)
CLAUSE_BREAK = re.compile(r"[,;:.()]")
IF_REACH = 200  # characters before a mention searched for its if-clause


def _in_if_clause(text: str, sent_start: int, start: int) -> bool:
    """An "if" opens the clause the mention at ``start`` stands in (linear, bounded)."""
    window = text[max(sent_start, start - IF_REACH):start]
    breaks = [m.end() for m in CLAUSE_BREAK.finditer(window)]
    return bool(IF_WORD.search(window, breaks[-1] if breaks else 0))


# What may follow a copula negation for it to deny the thing before it: "clonus was not
# elicited", "MRI was not performed", "saddle anesthesia is not present", or nothing.
COPULA_ABSENCE = re.compile(
    r"\s*(?:(?:currently|clearly|definitely|definitively|readily|yet|ever|at this time|"
    r"today|now|really)\s+)?(?:"
    r"seen|present|noted|identified|appreciated|elicited|elicitable|found|visuali[sz]ed|"
    r"demonstrated|detected|evident|apparent|observed|palpable|reproducible|reproduced|"
    r"documented|reported|described|mentioned|endorsed|confirmed|suspected|suggested|"
    r"considered|thought|felt|a concern|an issue|a problem|a factor|a feature|"
    r"performed|done|obtained|completed|tried|attempted|possible|feasible|available|"
    r"an option|given|started|prescribed|administered|indicated|required|needed|ordered|"
    r"scheduled|there|involved|affected)\b"
    r"|\s*(?:[.;:,)]|$)", re.I)


def _copula_keeps(span, modifier) -> bool:
    """Whether a copula negation ("is not", "was not") after the span denies the span: only
    when what follows it says the thing is absent or was not done. "a pacemaker that is not
    MR conditional" denies a property of the pacemaker, not the pacemaker."""
    if not (modifier.rule.metadata.get("copula") and modifier.modifier_span[0] >= span.end):
        return True
    return bool(COPULA_ABSENCE.match(span.doc.text, _cue_chars(span, modifier)[1]))


def _negation_around(span) -> str | None:
    """The id of a negation cue whose words start before the target and run into it.

    medspaCy never lets a cue modify a target it overlaps, so a longer cue that holds its own
    object ("without injury", "no contraindication to MRI") would leave that object asserted.
    """
    graph = span.doc._.context_graph
    if graph is None:
        return None
    for modifier in graph.modifiers:
        start, end = modifier.modifier_span
        if (modifier.category == "NEGATED_EXISTENCE" and start < span.start < end
                and modifier.rule.metadata):
            return str(modifier.rule.metadata["id"])
    return None


def _assertion(span, section_assertion: str | None) -> tuple[Assertion, tuple[str, ...], str]:
    """Assertion from the ConText modifiers in the span's own sentence, else its section.

    medspaCy scopes a modifier that has ``max_scope`` by a token window that may cross a
    sentence boundary; modifiers from another sentence are dropped here.
    """
    sent = _sentence(span)
    mods = [m for m in span._.modifiers
            if sent.start <= m.modifier_span[0] < sent.end and m.rule.metadata
            and not (span.start <= m.modifier_span[0] and m.modifier_span[1] <= span.end)
            and not (span.label_ == "imaging" and m.category == "NEGATED_EXISTENCE"
                     and not _denies_the_study(span, m))
            and _copula_keeps(span, m)]
    if span.label_ == "conservative_therapy":
        mods = _therapy_modifiers(span, sent, mods)
    # "a 10 day h/o worsening LBP", "4 month history of neck pain": the length of a current
    # complaint, not a past condition
    mods = [m for m in mods if not (m.category == "HISTORICAL" and _duration_before(span, m))]
    # "Hx of breast cancer with new thoracic back pain": what is new is not history
    mods = [m for m in mods if not (m.category == "HISTORICAL"
                                    and m.modifier_span[1] <= span.start
                                    and NEW_EVENT.search(
                                        span.doc[m.modifier_span[1]:span.start].text))]
    cues = [(m.category, str(m.rule.metadata["id"])) for m in mods]
    swallowed = _negation_around(span)
    if swallowed:
        # "began without injury": the target is the object of the negation cue that holds it
        cues.append(("NEGATED_EXISTENCE", swallowed))
    if (span.label_ == "conservative_therapy" and STARTED_TODAY.search(sent.text)
            and not THERAPY_GIVEN.search(sent.text)):
        cues.append(("HYPOTHETICAL", "started_today"))  # "Prescribed a Medrol dosepak today"
    if span.label_ in DEVICE_KINDS and _in_if_clause(span.doc.text, sent.start_char,
                                                     span.start_char):
        # "If retained leads are found, MRI will not be performed": a device in the condition
        # of an if-clause is supposed, not found ("pacemaker; MRI only if cleared" is found)
        cues.append(("HYPOTHETICAL", "if_clause"))
    if span.label_ == "imaging":
        cues = _imaging_cues(span, sent, cues)
    elif _excluded_after(sent.text, span.start_char - sent.start_char,
                         span.end_char - sent.start_char):
        # "CSF leak was suspected but excluded by CT myelogram", "kyphoplasty not planned"
        cues.append(("NEGATED_EXISTENCE", "excluded_after"))
    for category, assertion in CATEGORY_ASSERTION:
        used = sorted(rule_id for cat, rule_id in cues if cat == category)
        if used:
            return assertion, tuple(used), f"{assertion.value}: ConText {', '.join(used)}"
    if section_assertion:
        return Assertion(section_assertion), (), f"{section_assertion}: section"
    return Assertion.present, (), ""


def _suppressed(span, rule, spans, rule_by_id) -> bool:
    """A match inside a larger one that says otherwise: 'MRI' inside 'not a candidate for
    MRI' (rule.suppressed_inside), or 'Hoffmann' inside the normal finding 'Hoffmann neg'
    (a rule of the same kind that states the normal finding)."""
    for other in spans:
        if other is span or not (other.start_char <= span.start_char
                                 and span.end_char <= other.end_char):
            continue
        if other.label_ in rule.suppressed_inside:
            return True
        other_rule = rule_by_id[other.id_]
        if (other.label_ == span.label_ and other_rule.assertion is not None
                and rule.assertion is None):
            return True
    return False


def _next_sentence_outcome(span, rule_by_id) -> str | None:
    """"Completed 8 weeks of PT. No improvement.": the outcome may be the next sentence,
    when that sentence names no treatment of its own."""
    doc = span.doc
    sent = _sentence(span)
    if sent.end >= len(doc):
        return None
    nxt = _sentence(doc[sent.end:sent.end + 1])
    if len(nxt.text) > 160 or any(s.label_ == "conservative_therapy"
                                  for s in doc.spans.get(SPAN_GROUP, [])
                                  if nxt.start <= s.start < nxt.end):
        return None
    outcome = V.find_outcome(nxt.text)
    return outcome if outcome in ("failed", "improved") else None


CREDENTIAL_AFTER = re.compile(r"[ \t]*(?:,[ \t]*(?:DPT|MPT|MSPT|OCS|SCS|CSCS|ATC|PhD|MS|"
                              r"FAAOMPT|COMT|CMPT|Cert\.? MDT)\b|[ \t]*$)", re.I)
CREDENTIAL_BEFORE = re.compile(r"[A-Z][a-z]+\.?,[ \t]*$")


ORGANIZATION = re.compile(r"\b(?:CLINIC|CENTER|CENTRE|ASSOCIATES|HOSPITAL|MEDICAL|INSTITUTE|"
                          r"GROUP|DEPARTMENT|SERVICES|PHYSICAL THERAPY|REHAB\w*|PC|LLC|INC)\b")
SIGNATURE = re.compile(r"^[ \t]*(?:[A-Z]\.|[A-Z][a-z]+)(?: [A-Z]\.)? [A-Z][A-Za-z'-]+,? "
                       r"(?:MD|DO|PA-C|NP|DPT|PT|DC|RN|FNP|MBBS|PhD)\b.*$")


def _provider_name(text: str, start: int, end: int, *, therapy: bool) -> bool:
    """A mention that names who wrote, not what the patient has or had: a letterhead line in
    capitals naming an organization ("UNIVERSITY HEADACHE & CSF DISORDERS CLINIC"), a
    signature ("S. Rahimi, MD - Neurology (Headache Medicine)"), and for therapy words also
    a credential after a name ("Jane Roe, PT, DPT") or any capitals letterhead line ("ACTIVE
    MOTION PHYSICAL THERAPY")."""
    line_start, line_end = V.line_bounds(text, start, end)
    line = text[line_start:line_end]
    letterhead = (line.upper() == line and not any(c.isdigit() for c in line)
                  and len(line.split()) <= 8 and ":" not in line)
    if letterhead and ORGANIZATION.search(line) or SIGNATURE.match(line):
        return True
    if not therapy:
        return False
    before, after = text[line_start:start], text[end:line_end]
    return bool(CREDENTIAL_BEFORE.search(before) and CREDENTIAL_AFTER.match(after)) or letterhead


DOCUMENT_THERAPY = (("physical_therapy", re.compile(r"\b(?:physical therap\w*|physiotherap\w*|"
                                                     r"(?-i:PT|DPT))\b", re.I)),
                    ("chiropractic", re.compile(r"\bchiropract\w*|(?-i:D\.?C\.)", re.I)))


def _document_therapy(text: str) -> str | None:
    """The therapy a page is about, by the most frequent name on it; None if none."""
    counts = [(len(p.findall(text)), name) for name, p in DOCUMENT_THERAPY]
    best = max(counts)
    return best[1] if best[0] else None


VISIT_TABLE_HEADING = re.compile(
    r"(?im)^[^\n]{0,60}\b(?:visit|treatment|attendance|session)s?\s+(?:log|record|flowsheet|"
    r"flow sheet|history|summary table)\b|^[^\n]{0,40}\bdaily (?:notes|log)\b")
_ROW_DATE = re.compile(r"(?m)^[ \t|>]*(?P<d>\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\b")


def _visit_table(text: str, document: str, page_number: int | None,
                 note_marks: list[tuple[int, date | None]]) -> Fact | None:
    """A table of dated visits under a therapy log heading is one course of therapy: first to
    last visit, so many visits ("PHYSICAL THERAPY VISIT LOG" then rows "8/1/26  1  6  HEP").

    The evidence is the heading through the last dated row; the therapy is the one the page
    is about. A table of fewer than three dated rows, or without such a heading, is none.
    """
    heading = VISIT_TABLE_HEADING.search(text)
    if heading is None:
        return None
    therapy = _document_therapy(text)
    if therapy is None or therapy == "medication":
        return None
    rows = []
    for m in _ROW_DATE.finditer(text, heading.end()):
        found = V.find_dates(m.group("d"))
        if found:
            rows.append((found[0].value, m))
    if len(rows) < 3:
        return None
    dates = sorted(d for d, _ in rows)
    start, row_end = heading.start(), rows[-1][1].end()
    end = text.find("\n", row_end)
    end = len(text) if end < 0 else end
    quote = text[start:end]
    value: dict[str, Any] = {"therapy": therapy, "start": dates[0].isoformat(),
                             "end": dates[-1].isoformat(), "days": (dates[-1] - dates[0]).days,
                             "visits": len(rows)}
    outcome = V.find_outcome(text[end:end + 400])
    if outcome:
        value["outcome"] = outcome
    return Fact(kind="conservative_therapy", value=value,
                evidence=Evidence(document=document, page=page_number, start=start, end=end,
                                  text=quote),
                rule_id="visit_table", note_date=_note_date_at(note_marks, start),
                explanation=f"{len(rows)} dated visits, {dates[0]} to {dates[-1]}")


def _following(text: str, sent_end: int, *, limit: int = 300) -> str:
    """Text after a sentence that ends in ':' (a report heading), up to a blank line."""
    tail = text[sent_end:sent_end + limit]
    cut = tail.find("\n\n")
    return tail if cut < 0 else tail[:cut]


# kinds a risk discussion does not make hypothetical: the patient's age and devices stay facts
# nor treatment ("continuation of nonoperative care versus the risks of surgery were discussed"
# does not say the care was not given)
ORDERED_THERAPIES = frozenset({"physical_therapy", "home_exercise", "chiropractic"})
RISK_TALK_KEEPS = frozenset({"age", "mri_contraindicated", "mri_conditional_device",
                             "conservative_therapy"})


def _page_facts(doc, text: str, document: str, page_number: int | None,
                note_marks: list[tuple[int, date | None]],
                rule_by_id: dict, request_date: date | None = None) -> list[Fact]:
    sections = doc._.priorauth_sections
    if sections is None:
        sections = find_sections(text)
    spans = list(doc.spans.get(SPAN_GROUP, []))
    kinds = fact_kinds().kinds
    facts: list[Fact] = []
    risk_talk = (V.risk_discussions(text, [(sent.start_char, sent.end_char)
                                           for sent in _sentences(doc)]) if spans else [])
    order_form = bool(spans) and V.is_order_form(text, document)
    questions: dict[int, int | None] = {}  # sentence start -> where its question begins
    for span in spans:
        rule = rule_by_id[span.id_]
        if _suppressed(span, rule, spans, rule_by_id):
            continue
        sent = _sentence(span)
        s_start, s_end = sent.start_char, sent.end_char
        sent_text = text[s_start:s_end]
        rel = (span.start_char - s_start, span.end_char - s_start)
        c_start, c_end = _clause(sent_text, *rel)
        clause = sent_text[c_start:c_end]
        crel = (rel[0] - c_start, rel[1] - c_start)
        note_date = _note_date_at(note_marks, span.start_char)
        section = _last_before(sections, span.start_char)
        assertion, modifiers, why = _assertion(span, section[2] if section else None)
        if rule.assertion is not None and assertion in (Assertion.present,
                                                        Assertion.historical):
            assertion, why = Assertion(rule.assertion), f"{rule.assertion}: stated by the match"
        if (assertion in (Assertion.present, Assertion.possible, Assertion.historical)
                and rule.kind not in RISK_TALK_KEEPS
                and any(s <= span.start_char < e for s, e in risk_talk)):
            # "Risks include ... an epidural hematoma, which may compress the spinal cord":
            # what a consent discussion names may happen; it has not
            assertion, why = Assertion.hypothetical, "hypothetical: risk discussion"
        value: dict[str, Any] = dict(rule.value)
        kind = rule.kind
        if _provider_name(text, span.start_char, span.end_char,
                          therapy=kind == "conservative_therapy"):
            continue  # "Therapist: Jane Roe, PT, DPT", a letterhead: who, not what was done
        if value.get("therapy") == "document":
            # "13 visits over 7 weeks" in a therapy note: the note says which therapy
            therapy = _document_therapy(text)
            if therapy is None:
                continue
            value["therapy"] = therapy
        if kind == "conservative_therapy":
            value.update(_therapy_values(clause, crel, note_date))
            if (value.get("therapy") == "medication" and "date" in value and "days" not in value
                    and note_date is not None):
                started = V.MED_STARTED.search(clause)
                begun = date.fromisoformat(value["date"])
                if started and not V.MED_STOPPED.search(clause) and begun <= note_date:
                    value.update(start=value.pop("date"), days=(note_date - begun).days)
            if (order_form and value.get("therapy") in ORDERED_THERAPIES
                    and assertion == Assertion.present
                    and not any(key in value for key in ("days", "visits", "start", "end"))):
                # a PT referral/order form: "Evaluate and treat ... HEP", "Sent to: Lakeside PT"
                # order the therapy; they do not say it was given
                assertion, why = Assertion.hypothetical, "hypothetical: ordered on a referral form"
            if value.get("therapy") == "home_exercise":
                compliance = True if "days" in value else V.hep_compliance(clause)
                if compliance is not None:
                    value["compliance"] = compliance
            if "outcome" not in value:
                outcome = _next_sentence_outcome(span, rule_by_id)
                if outcome:
                    value["outcome"] = outcome
        elif kind == "imaging":
            value.update(_imaging_values(clause, crel, note_date, sent_text))
            if "result" not in value and sent_text.rstrip().endswith(":"):
                following = _following(text, s_end)
                result = V.find_imaging_result(following)
                if result:
                    value["result"] = result
                    first_line = following.lstrip("\n").split("\n", 1)[0]
                    s_end = s_end + (len(following) - len(following.lstrip("\n"))) + len(first_line)
            exam = V.EXAM_LINE.match(sent_text)
            line_end = sent_text.find("\n")
            if "result" not in value and exam and (line_end < 0 or rel[0] < line_end):
                # "Exam: XR LUMBAR SPINE 3 VIEWS" heads a report: its impression gives the
                # result (the region decided below is not known yet: read it here)
                region = value.get("region") or V.find_imaging_region(sent_text, *rel)
                result = V.report_result(text, s_end, region)
                if result:
                    value["result"] = result
        elif kind == "inflammatory_lab_abnormal":
            lab, abnormal = V.read_lab(text[span.start_char:span.end_char + 25])
            if abnormal is None:
                continue
            value = {"lab": lab} if lab else {}
            if not abnormal and assertion in (Assertion.present, Assertion.historical):
                assertion, why = Assertion.negated, "negated: laboratory value within normal"
        elif kind == "mri_contraindicated" and CONTRAST.search(sent_text) and not (
                OTHER_MRI_BARRIER.search(sent_text)):
            # "MRI contraindicated due to gadolinium allergy": an MRI without contrast can
            # still be done
            value["reason"] = "contrast_only"
        elif kind == "interventional_treatment":
            when = V.nearest(V.find_dates(clause, note_date), *crel, limit=60)
            if when is not None:
                value["date"] = when.value.isoformat()
        elif kind in SYMPTOMS:
            value.update(_symptom_values(clause, crel, note_date, kind))
        if any(key not in value for key in rule.require):
            continue
        if kind == "imaging" and "region" not in value:
            region = V.find_imaging_region(sent_text, *rel)
            if region:
                value["region"] = region
        elif kind in REGIONAL and "region" not in value:
            region = V.find_region(sent_text, *rel, limit=40)
            if region:
                value["region"] = region
        ev_start, ev_end = _evidence_span(text, s_start, s_end, span.start_char, span.end_char)
        evidence = Evidence(document=document, page=page_number, start=ev_start,
                            end=ev_end, text=text[ev_start:ev_end])
        source = V.find_source(text, span.start_char, span.end_char)
        if source == "form_field" or V.LABEL_ANSWER.match(text, span.end_char):
            # a form answers by the box it ticks: "Metal fragments ... [ ] Yes [x] No"
            answer = V.find_form_answer(text, span.start_char, span.end_char)
            if answer == "no" and assertion != Assertion.negated:
                assertion, why = Assertion.negated, "negated: form field ticked No"
            elif answer == "yes" and assertion == Assertion.negated:
                assertion, why = Assertion.present, "present: form field ticked Yes"
        if s_start not in questions:  # once per sentence, not per mention in it
            questions[s_start] = V.question_start(sent_text)
        asked = questions[s_start]
        if asked is not None and rel[0] >= asked and assertion in (
                Assertion.present, Assertion.possible, Assertion.historical):
            # "Is condition due to injury ...? No.": a question asserts nothing; its answer does
            # ("discitis, worsening: epidural abscess?" is a suspicion, not a question)
            answer = V.question_answer(text, s_end)
            if answer == "no":
                assertion, why = Assertion.negated, "negated: the question is answered No"
            elif answer is None:
                assertion, why = Assertion.hypothetical, "hypothetical: a question, not answered"
        for k in (kind, *rule.also):
            spec = kinds.get(k)
            site = None
            if spec is not None and spec.site == "spinal_or_unspecified":
                # a denial ("no fall or injury") names its own site or none: the thigh pain
                # of the same clause is not where the injury was denied
                site = V.find_body_site(
                    clause if assertion != Assertion.negated else
                    text[max(span.start_char - 25, s_start):min(span.end_char + 25, s_end)])
            elif spec is not None and spec.site == "spinal_required":
                # "gout on allopurinol", "brain AVM": only a sentence naming the spine counts
                site = ("spine" if V.SPINAL_WORDS.search(sent_text)
                        else V.find_body_site(sent_text) or "unspecified")
            recency = (V.find_recency(clause, note_date or request_date, now=request_date)
                       if spec is not None and spec.recency == "not_remote" else None)
            facts.append(Fact(kind=k, value=value, assertion=assertion, evidence=evidence,
                              rule_id=rule.id, modifiers=modifiers,
                              section=section[1] if section else None, note_date=note_date,
                              explanation=why, site=site, recency=recency, source=source))
    course = _visit_table(text, document, page_number, note_marks)
    if course is not None:
        facts.append(course)
    age = V.find_age(text)
    if age is not None:
        s, e = age.start, age.end
        facts.append(Fact(kind="age", value={"years": age.value},
                          evidence=Evidence(document=document, page=page_number, start=s,
                                            end=e, text=text[s:e]),
                          rule_id="age_01", note_date=_note_date_at(note_marks, s)))
    return facts


def _note_date_at(marks: list[tuple[int, date | None]], offset: int) -> date | None:
    mark = _last_before(marks, offset)
    return mark[1] if mark else None


SEGMENT_CHARS = 6000  # ConText compares every target with every modifier of a doc
PARALLEL_MIN_PAGES = 40


def _segments(text: str) -> list[tuple[int, str]]:
    """A long page cut at line breaks into segments of about SEGMENT_CHARS characters,
    each with its offset in the page."""
    out, start, size = [], 0, len(text)
    while start < size:
        end = min(size, start + SEGMENT_CHARS)
        if end < size:
            half = start + SEGMENT_CHARS // 2
            cut = max(text.rfind("\n\n", half, end), text.rfind("\n", half, end))
            if cut < 0:
                cut = text.rfind(". ", half, end)
            end = cut + 1 if cut >= 0 else end
        out.append((start, text[start:end]))
        start = end
    return out


def _shift(fact: Fact, base: int) -> Fact:
    ev = fact.evidence
    return fact.model_copy(update={"evidence": ev.model_copy(
        update={"start": ev.start + base, "end": ev.end + base})})


@cache
def _rules_by_id() -> dict:
    return {r.id: r for r in target_rules().rules}


def _extract_page(name: str, page: Page, marks: list,
                  request_date: date | None = None) -> list[Fact]:
    """Facts of one page (run in a worker for long charts)."""
    nlp = build_nlp()
    rule_by_id = _rules_by_id()
    found: list[Fact] = []
    for base, segment in _segments(page.text):
        before = [d for o, d in marks if o < base]
        local = ([(0, before[-1])] if before else []) + [
            (o - base, d) for o, d in marks if base <= o < base + len(segment)]
        with NLP_LOCK:
            doc = nlp(segment)
        facts = _page_facts(doc, segment, name, page.number, local, rule_by_id, request_date)
        found.extend(_shift(f, base) for f in facts) if base else found.extend(facts)
    if page.ocr:
        found = [f.model_copy(update={"evidence": f.evidence.model_copy(update={
            "ocr_confidence": page.span_confidence(f.evidence.start, f.evidence.end)})})
            for f in found]
    return found


def _page_workers(pages: int) -> int:
    """Pages are spread over the cores by forking this process (the pipeline is already
    loaded) only for long charts, from a single-threaded main process."""
    import multiprocessing
    import threading

    if (pages < PARALLEL_MIN_PAGES or multiprocessing.parent_process() is not None
            or threading.active_count() > 1 or "fork" not in
            multiprocessing.get_all_start_methods()):
        return 1
    return min(2, os.cpu_count() or 1)


def extract_facts(documents: Sequence[Document], *, request_date: date | None = None,
                  workers: int | None = None) -> tuple[Fact, ...]:
    """Every fact in the chart, sorted by (document, page, offsets, kind).

    Args:
        documents: the chart, as read by :mod:`priorauth.extract.ingest`.
        request_date: dates after it are not note dates.
        workers: processes for long charts; None picks (see :func:`_page_workers`).
    """
    build_nlp()
    latest = request_date + timedelta(days=1) if request_date is not None else None
    work = [(document.name, page, marks, request_date)
            for document in documents
            # one list of (offset, note date or None) per page, from the document's notes
            for page, marks in zip(document.pages, page_note_marks(document, latest=latest),
                                   strict=True)
            if page.text.strip()]
    workers = _page_workers(len(work)) if workers is None else workers
    facts: list[Fact] = []
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for found in pool.map(_extract_page, *zip(*work, strict=True), chunksize=8):
                facts.extend(found)
    else:
        for name, page, marks, when in work:
            facts.extend(_extract_page(name, page, marks, when))
    return resolve(tuple(sorted(facts, key=Fact.sort_key)), [d.name for d in documents])
