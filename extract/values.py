"""Values read from the words around a mention: dates, durations, outcomes, regions, onset.

Pure functions over strings; every date is normalised against a reference date (the note's
date of service, else the request date) so that "since August" or "8 months ago" resolve.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"

_CARDINALS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
              "fifteen sixteen seventeen eighteen nineteen twenty").split()
NUMBER_WORDS = {word: i for i, word in enumerate(_CARDINALS, start=1)}
NUMBER_WORDS.update({"a": 1, "an": 1, "several": 3, "few": 3, "a few": 3, "couple": 2,
                     "a couple of": 2, "thirty": 30})
_NUM = (r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")")
UNIT_DAYS = {"d": 1, "day": 1, "wk": 7, "week": 7, "w": 7, "mo": 30, "month": 30, "m": 30,
             "yr": 365, "year": 365, "y": 365}
_UNIT = r"(?:days?|d|weeks?|wks?|w|months?|mos?|m|years?|yrs?|y)"

DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"), "mdy"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?[ -]?({_MONTH})\.?[ -]?,?[ ]?(\d{{4}})\b", re.I), "dMy"),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "Mdy"),
    # "May 2005", "Aug. 2008", "May of 2005": a month of a stated year
    (re.compile(rf"\b({_MONTH})\.?,?\s+(?:of\s+)?(\d{{4}})\b", re.I), "My"),
    (re.compile(r"\b(\d{1,2})/(\d{4})\b"), "my"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})\b(?!/)"), "md"),
    (re.compile(rf"\b(?:in|since|from|until|through|to|by|of|early|late|mid)\s+({_MONTH})\b(?!\s+\d)", re.I), "M"),
]


T = TypeVar("T")


DATE_CUE = re.compile(r"\b(?:on|since|from|dated|until|through|by|of)\s+$", re.I)


@dataclass(frozen=True)
class Found(Generic[T]):
    """A value found in text, with its character span in that text."""

    value: T
    start: int
    end: int


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


MD_AHEAD_DAYS = 31


def _before(ref: date | None, month: int, day: int = 1, *, ahead: int = 0) -> date | None:
    """The latest date with this month/day not after ``ref`` + ``ahead`` days (for dates
    without a year)."""
    if ref is None:
        return None
    candidate = _safe_date(ref.year, month, day)
    if candidate is None:
        return None
    if candidate > ref + timedelta(days=ahead):
        candidate = _safe_date(ref.year - 1, month, day)
    return candidate


SEASONS = {"winter": 1, "spring": 4, "summer": 7, "fall": 10, "autumn": 10}
SEASON = re.compile(r"\b(last|this|past|previous) (winter|spring|summer|fall|autumn)\b|\b(last|past|previous) year\b|\ba year ago\b", re.I)


def _season_dates(text: str, ref: date | None) -> list[Found[date]]:
    """"last winter", "this spring", "last year", relative to ``ref``."""
    out: list[Found[date]] = []
    if ref is None:
        return out
    for m in SEASON.finditer(text):
        if m.group(2):
            month = SEASONS[m.group(2).lower()]
            when = _before(ref, month, 15)
            if when is not None and m.group(1).lower() != "this" and (ref - when).days < 60:
                when = _safe_date(when.year - 1, month, 15)
        else:
            when = ref - timedelta(days=365)
        if when is not None:
            out.append(Found(when, m.start(), m.end()))
    return out


YEAR_AFTER = re.compile(r",?\s+(?:of\s+)?(?:19|20)\d\d\b")
YEAR_STATED = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}/\d{1,2}/\d{2}\b")


def find_dates(text: str, ref: date | None = None) -> list[Found[date]]:
    """Every date in ``text`` (full, month/year, month/day or bare month), earliest span first."""
    found: list[Found[date]] = []
    taken: list[tuple[int, int]] = []
    for pattern, form in DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            g = m.groups()
            when: date | None = None
            if form == "ymd":
                when = _safe_date(int(g[0]), int(g[1]), int(g[2]))
            elif form == "mdy":
                when = _safe_date(_year(g[2]), int(g[0]), int(g[1]))
            elif form == "dMy":
                when = _safe_date(int(g[2]), MONTHS[g[1].lower()[:3]], int(g[0]))
            elif form == "Mdy":
                when = _safe_date(int(g[2]), MONTHS[g[0].lower()[:3]], int(g[1]))
            elif form == "My":
                when = _safe_date(int(g[1]), MONTHS[g[0].lower()[:3]], 15)
            elif form == "my":
                if 1 <= int(g[0]) <= 12 and 1900 < int(g[1]) < 2100:
                    when = _safe_date(int(g[1]), int(g[0]), 15)
            elif form == "md":
                if g[1] == "5" and int(g[0]) <= 5 and not DATE_CUE.search(
                        text, max(0, m.start() - 8), m.start()):
                    continue  # "5/5 strength", "4/5 EHL": a strength grade, not May 5th
                if 1 <= int(g[0]) <= 12 and 1 <= int(g[1]) <= 31:
                    # a visit log or a booked visit may run a few weeks past the date the
                    # note is read as written on: "Visits: 07/13, 07/17, 07/24, 07/31"
                    when = _before(ref, int(g[0]), int(g[1]), ahead=MD_AHEAD_DAYS)
            elif form == "M":
                # "early August" is the 5th, "late August" the 25th, a bare month its middle
                part = m.group(0).split(None, 1)[0].lower()
                day = {"early": 5, "late": 25}.get(part, 15)
                when = _before(ref, MONTHS[g[0].lower()[:3]], day)
            if when is not None and 1900 < when.year < 2100:
                span = (m.start(1), m.end()) if form == "M" else (m.start(), m.end())
                found.append(Found(when, *span))
                taken.append(span)
    found.extend(f for f in _season_dates(text, ref)
                 if not any(s < f.end and f.start < e for s, e in taken))
    return sorted(found, key=lambda f: f.start)


DURATION = re.compile(
    rf"(?:\bx\s*|\bfor\s+(?:the\s+)?(?:past\s+|last\s+|about\s+|approximately\s+|over\s+|nearly\s+|almost\s+)?|\bover\s+(?:the\s+)?(?:past\s+|last\s+)?|\b(?:past|last)\s+|\b)"
    rf"(?P<num>{_NUM})\+?(?:\s*(?:-|to)\s*(?P<num2>\d+))?\s*[- ]?(?P<unit>{_UNIT})\b(?P<tail>(?:\s+(?:of|trial|course|history|h/o|hx|duration|ago|prior|earlier|before))?)",
    re.I)
SINCE = re.compile(r"\b(?:since|starting|started|beginning|began|from|onset(?: (?:was|in|on))?)"
                   r"(?:\s*~\s*|\s+)?(?:(?:on|in|around|about|approximately|roughly|circa|early|"
                   r"late|mid)\b\s*)*", re.I)
_FULL_DATE = (rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}})|"
              rf"{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})")
# "Dates of care: 08/20/2026 to 10/03/2026", "8/20/26 - 10/3/26": two full dates need no "from"
DATE_RANGE = re.compile(rf"\b(?P<a>{_FULL_DATE})\s*(?:to|through|thru|until|-|–)\s*(?P<b>{_FULL_DATE})",
                        re.I)
RANGE = re.compile(r"\bfrom\s+(?P<a>[^,;]{3,25}?)\s+(?:to|through|until|-)\s+(?P<b>[^,;]{3,25}?)(?=[\s,.;)]|$)", re.I)


# the words before a duration that make it the length of an effect, not of a treatment
EFFECT_BEFORE = re.compile(r"\b(?:helped|helps|relief|relieved|better|improved|benefit(?:ed)?|"
                           r"worked|lasted)\s+(?:for\s+|x\s*|about\s+|only\s+)*$", re.I)


def _num(text: str) -> float | None:
    t = text.lower().strip()
    if t in NUMBER_WORDS:
        return float(NUMBER_WORDS[t])
    try:
        return float(t)
    except ValueError:
        return None


def _unit_days(unit: str) -> int:
    u = unit.lower().rstrip("s")
    if u in UNIT_DAYS:
        return UNIT_DAYS[u]
    return UNIT_DAYS.get(u[:2], UNIT_DAYS.get(u[:1], 1))


@dataclass(frozen=True)
class Duration:
    """A span of time: its length in days and, when stated, its dates."""

    days: int | None
    start: date | None = None
    end: date | None = None
    ago: bool = False


def find_durations(text: str, ref: date | None) -> list[Found[Duration]]:
    """Durations in ``text``: "x 8 weeks", "for two months", "since 9/2/2026", "from A to B"."""
    out: list[Found[Duration]] = []
    for m in [*RANGE.finditer(text), *DATE_RANGE.finditer(text)]:
        if any(f.start < m.end() and m.start() < f.end for f in out):
            continue
        # a bare month is a date here ("from January to March of 2025"); the end's year may
        # follow what the lazy match took
        a_text, b_text = m.group("a"), m.group("b")
        year_after = YEAR_AFTER.match(text, m.end("b"))
        if year_after and not YEAR_STATED.search(b_text):
            b_text += year_after.group()
        a = find_dates(a_text, ref) or find_dates(f"in {a_text}", ref)
        b = find_dates(b_text, ref) or find_dates(f"in {b_text}", ref)
        if not (a and b):
            continue
        first, last = a[0].value, b[0].value
        if not YEAR_STATED.search(a_text) and YEAR_STATED.search(b_text):
            # "from January to March of 2025": the start is in the year the end states
            first = (_safe_date(last.year, first.month, first.day)
                     or first).replace(year=last.year)
            if first > last:
                first = first.replace(year=last.year - 1)
        if last >= first:
            out.append(Found(Duration((last - first).days, first, last), m.start(), m.end()))
    taken = [(f.start, f.end) for f in out]
    for m in DURATION.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        n = _num(m.group("num"))
        if m.group("num2"):
            n = _num(m.group("num2"))
        if n is None:
            continue
        unit = m.group("unit")
        if re.match(r"\s*-?\s*olds?\b", text[m.end():m.end() + 6], re.I):
            continue  # "68-year-old", "a 9 year old": an age, not a duration
        if EFFECT_BEFORE.search(text, max(0, m.start() - 30), m.start()):
            continue  # "helped a few days", "relief for 2 weeks": how long the effect lasted
        if unit.lower() in ("m", "d", "y", "w") and not text[m.start():m.end()].lower().lstrip().startswith("x"):
            # bare single letters only after "x" ("x6w"), never "5 m" of distance
            continue
        days = int(round(n * _unit_days(unit)))
        tail = (m.group("tail") or "").strip().lower()
        if tail == "ago" or tail in ("prior", "earlier", "before"):
            end = ref - timedelta(days=days) if ref else None
            out.append(Found(Duration(None, None, end, ago=True), m.start(), m.end()))
        else:
            out.append(Found(Duration(days), m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in SINCE.finditer(text):
        rest = text[m.start(): m.end() + 30]
        cue = m.end() - m.start()
        dates = [d for d in find_dates(rest, ref) if cue <= d.start <= cue + 2]
        year = YEAR.match(rest, cue)  # "since about 2017"
        if not dates and year and ref is not None and int(year.group()) <= ref.year:
            dates = [Found(date(int(year.group()), 7, 1), cue, year.end())]
        if dates and ref is not None:
            start, stop = dates[0].value, m.start() + dates[0].end
            if start <= ref and not any(s < stop and m.start() < e for s, e in taken):
                out.append(Found(Duration((ref - start).days, start, None), m.start(), stop))
    return sorted(out, key=lambda f: f.start)


def nearest(found: list[Found[T]], start: int, end: int, *,
            limit: int = 120) -> Found[T] | None:
    """The found value closest to the span [start, end) within ``limit`` characters."""
    best, best_d = None, limit + 1
    for f in found:
        if f.end <= start:
            d = start - f.end
        elif f.start >= end:
            d = f.start - end
        else:
            d = 0
        if d < best_d:
            best, best_d = f, d
    return best


FAILED = re.compile(
    r"\b(?:no|without|w/o|minimal|little|limited|not much|temporary|transient|denie[sd]|not had|not gotten|not experienced|only (?:mild|minimal|partial|temporary|transient)) "
    r"(?:\w+ ){0,2}(?:improvement|relief|benefit|help|response|change|success)|\bfail(?:ed|ure|s|ing)?\b|"
    r"\b(?:did not|didn't|does not|doesn't|has not|hasn't|have not|not) (?:(?:much|any|really|significantly|appreciably) )?(?:help|improv|work|reliev|resolv|respond|provide (?:\w+ )?relief|get(?:ting)? better|better|(?:well )?controlled|effective)\w*|"
    r"\b(?:unsuccessful|ineffective|refractory|persistent|persists|persisting|continued pain|continues to have|still has|still having|"
    r"worse(?:ned|ning)?|unchanged|no better|exhausted|not effective|not tolerated|could not tolerate|intolerant|plateaued|goals (?:were )?not met|not meeting (?:\w+ )?goals)\b|"
    # "still 6/10 most days, same as Sept despite meloxicam": pain that persists despite it
    r"\b(?:not|no|without)(?: (?:made|make|making|had|much|really))? (?:a |any )?(?:\w+ )?difference\b|"
    r"\bstill (?:at )?\d+\s*/\s*10\b|\b(?:pain|symptoms?|\d+\s*/\s*10|same|no change)\b[^.;]{0,50}?\bdespite\b",
    re.I)
IMPROVED = re.compile(
    r"\b(?:improv(?:ed|ing|ement)|resolv(?:ed|ing)|(?:good|significant|excellent|complete|substantial|moderate|great) "
    r"(?:relief|improvement|benefit|response)|helped|helps|better|pain[- ]free|doing well|responded)\b", re.I)
ONGOING = re.compile(r"\b(?:currently|ongoing|continues|continuing|still in|is in|presently|remains in)\b", re.I)


def _first_label(text: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    """The label of the first pattern in ``table`` that occurs in ``text``."""
    return next((label for label, pattern in table if pattern.search(text)), None)


OUTCOMES = (("failed", FAILED), ("improved", IMPROVED), ("ongoing", ONGOING))


def find_outcome(text: str) -> str | None:
    """failed / improved / ongoing, from the clause around a therapy mention."""
    return _first_label(text, OUTCOMES)


REGION_WORDS = [
    (re.compile(r"\b(?:lumbar|lumbosacral|low(?:er)? back|(?<!upper )(?<!mid )(?<!mid-)back(?:ache| pain)|l[- ]?spine|ls[- ]spine|(?-i:LBP)|sciatica|(?-i:L[1-5])(?:\s*-\s*(?:L?[1-5]|S1))?|L5-S1|sacr\w*|lower extremit\w*|legs?|buttocks?|thighs?|calf|feet|foot)\b", re.I), "lumbar"),
    (re.compile(r"\b(?:cervical|neck|c[- ]?spine|(?-i:C[1-7])(?:\s*-\s*C?[1-7])?|upper extremit\w*|arms?|hands?|shoulders?|fingers?|cervicalgia)\b", re.I), "cervical"),
    (re.compile(r"\b(?:thoracic|t[- ]?spine|mid[- ]?back|upper back|(?-i:T(?:[1-9]|1[0-2]))(?:\s*-\s*T?\d{1,2})?|thoracolumbar|interscapular)\b", re.I), "thoracic"),
]


SPINE_REGION_WORDS = [
    (re.compile(r"\b(?:lumbar|lumbosacral|low(?:er)? back|l[- ]?spine|ls[- ]spine|(?-i:L[1-5])(?:\s*-\s*(?:L?[1-5]|S1))?|L5-S1|sacr\w*)\b", re.I), "lumbar"),
    (re.compile(r"\b(?:cervical|neck|c[- ]?spine|(?-i:C[1-7])(?:\s*-\s*C?[1-7])?|cervicothoracic)\b", re.I), "cervical"),
    (re.compile(r"\b(?:thoracic|t[- ]?spine|mid[- ]?back|(?-i:T(?:[1-9]|1[0-2]))(?:\s*-\s*T?\d{1,2})?|thoracolumbar)\b", re.I), "thoracic"),
]
NON_SPINE = re.compile(r"\b(?:brain|head|skull|orbits?|sinus\w*|face|facial|chest|lungs?|cardiac|abdomen|abdominal|pelvis|pelvic|hips?|knees?|ankles?|foot|feet|toes?|shoulders?|hands?|wrists?|elbows?|humerus|femur|tibia|arm|legs?|renal|kidneys?|liver|breast|mammogra\w*|angiogra\w*)\b", re.I)


def find_imaging_region(text: str, start: int, end: int) -> str | None:
    """The body part an imaging mention images: a spinal region, ``non_spine`` (brain,
    chest, foot...) or None, from the words just around the modality."""
    lo, hi = max(0, start - 30), min(len(text), end + 40)
    window = text[lo:hi]
    found = [Found(region, m.start() + lo, m.end() + lo)
             for pattern, region in SPINE_REGION_WORDS for m in pattern.finditer(window)]
    hit = nearest(found, start, end, limit=40)
    if hit is not None:
        return str(hit.value)
    other = [Found("non_spine", m.start() + lo, m.end() + lo) for m in NON_SPINE.finditer(window)]
    if nearest(other, start, end, limit=25) is not None:
        return "non_spine"
    return None


def find_region(text: str, start: int, end: int, *, limit: int = 60) -> str | None:
    """The spinal region named nearest to [start, end), preferring words inside the span."""
    found: list[Found[str]] = []
    for pattern, region in REGION_WORDS:
        for m in pattern.finditer(text):
            found.append(Found(region, m.start(), m.end()))
    inside = [f for f in found if f.start >= start and f.end <= end]
    if inside:
        return str(inside[0].value)
    hit = nearest(found, start, end, limit=limit)
    return str(hit.value) if hit else None


# "not new", "never acute": a denied newness is no newness ("no new numbness" is a new
# numbness denied, by the negation cue)
NEW = re.compile(r"\b(?<!not )(?<!never )(?:new(?:[- ]onset)?|acute(?:ly)?|sudden(?:ly)?|recent(?:[- ]onset)?|"
                 r"(?:has |have |had )?developed)\b", re.I)
WORSE = re.compile(r"\b(?:worsen(?:ing|ed|s)?|worse(?!\s+(?:w/|(?:with|when|on|after|in|at|during|by|upon|if|while|for|standing|sitting|walking|bending|lifting)\b))|progressive(?:ly)?|progressing|increasing|increased|escalating|progressed|(?<!patient )(?<!pt )(?<!he )(?<!she )(?<!they )declined|deteriorat\w+|less steady|less steadily)\b", re.I)
CHRONIC = re.compile(r"\b(?:chronic|recurren(?:t|ce)|recurring|long[- ]?standing|longstanding|for (?:many |several |a few )?years|for decades|lifelong|years of)\b", re.I)


# "unchanged since the MRI": neither new nor old, only not changed since the last look
UNCHANGED = re.compile(r"\b(?:unchanged|no (?:interval )?change|same (?:intensity|severity|"
                       r"distribution|character))\b", re.I)


CHANGES = (("chronic", CHRONIC), ("worsening", WORSE), ("unchanged", UNCHANGED), ("new", NEW))


def find_change(text: str, start: int | None = None, end: int | None = None) -> str | None:
    """new / worsening / chronic as the clause describes a symptom; with the mention's span,
    the word nearest to it ("long-standing RA with new neck pain": new, for the pain)."""
    if start is None or end is None:
        return _first_label(text, CHANGES)
    found = [Found(label, m.start(), m.end()) for label, pattern in CHANGES
             for m in pattern.finditer(text)]
    hit = nearest(found, start, end, limit=len(text))
    return hit.value if hit is not None else None


IMAGING_INDETERMINATE = re.compile(r"\b(?:non-?diagnostic|indeterminate|inconclusive|limited by (?:motion|artifact|bowel gas|body habitus|habitus|overlying \w+|\w+ artifact)|limited (?:study|exam|examination|evaluation|views?)|(?:severely |markedly )?(?:motion[- ]degraded|degraded by motion)|motion artifact|non-?interpretable|uninterpretable|suboptimal|limited study|could not be interpreted)\b", re.I)
IMAGING_EQUIVOCAL = re.compile(r"\b(?:equivocal|questionable|possible|cannot exclude|can't exclude|unclear|indistinct)\b", re.I)
IMAGING_INFECTION = re.compile(r"\b(?:osteomyelitis|discitis|diskitis|abscess|concerning for infection|suggestive of infection|infectious)\b", re.I)
# "stable compression fracture", "no instability on flexion/extension": a finding without an
# unstable injury (ind.11.4)
IMAGING_STABLE = re.compile(r"\b(?:stable (?:[\w-]+ ){0,2}(?:fracture|injury|alignment|appearance)|"
                            r"no (?:evidence of )?(?:instability|unstable (?:injury|fracture))|"
                            r"without (?:instability|unstable (?:injury|fracture)))\b", re.I)
IMAGING_NORMAL = re.compile(r"\b(?:normal|unremarkable|negative|within normal limits|wnl|no acute (?:findings|abnormalit\w+))\b", re.I)
IMAGING_ABNORMAL = re.compile(r"\b(?:positive|abnormal|herniat\w+|protrusion|extrusion|bulg\w+|stenosis|fracture|lesion|mass|narrowing|spondylo\w+|degenerat\w+|compression|displacement|listhesis|osteophyt\w+|subluxation|widening|edema|enhancement|metasta\w+|lytic|blastic|collapse|deformity|instability|syrinx|tumou?r|compromise|impingement|encroach\w*|effac\w*)\b", re.I)
# "no fracture", "without stenosis", "negative for mass": the finding is denied, not reported
IMAGING_DENIED = re.compile(r"\b(?:no|without(?! (?:difficulty|incident|complications?|problems?|"
                            r"sedation|contrast|trouble|issue))|negative for|neg\.? for|free of|"
                            r"not? evidence of)\b[^,.;]*", re.I)


IMAGING_ABORTED = re.compile(r"\b(?:aborted|terminated early|(?:could not|couldn't|unable to|did not) (?:be )?(?:tolerate|complete|finish|hold still|lie still|stay still|done|performed|obtained)\w*|not completed|incomplete study|(?<!not )(?<!never )(?<!n't been )cancell?ed|(?:attempt(?:ed)?|tried)\b[^.;]{0,80}?\b(?:could not|couldn't|unable to|failed))\b", re.I)


DIAGNOSTIC = re.compile(r"(?<!non-)(?<!non)(?<!not )\bdiagnostic\b(?! (?:of|for)\b)", re.I)


# What an abnormal study found, for the trauma criteria: an injury ("compression fracture",
# "widened C1-2 interval") follows up an injury; wear alone ("stenosis", "disc bulges",
# "spondylosis") is no positive finding of trauma.
INJURY_FINDING = re.compile(
    r"\b(?:fractur\w*|fx|compression (?:deformity|injury)|burst|subluxation|dislocat\w*|"
    r"listhesis|malalign\w*|ligament\w*|edema|hematoma|contusion|avulsion|widen\w*|"
    r"height loss|loss of (?:vertebral )?height|wedg\w*|injur\w*|instabilit\w*|"
    r"cord signal|transection|traumatic)\b", re.I)
DEGENERATIVE_FINDING = re.compile(
    r"\b(?:stenosis|bulg\w*|spondylosis|degenerat\w*|osteophyt\w*|arthropath\w*|arthrosis|"
    r"desiccat\w*|herniat\w*|protrusion|disc space narrowing|narrowing|DDD|DJD|"
    r"scoliosis|curvature|spurring|hypertroph\w*|calcification)\b", re.I)


def injury_finding(text: str) -> bool | None:
    """True when a study's words name an injury, False when they name only wear (a
    degenerative finding and no injury), None when they name neither."""
    text = IMAGING_DENIED.sub(" ", text)  # "neg for fracture" names no injury found
    if INJURY_FINDING.search(text):
        return True
    return False if DEGENERATIVE_FINDING.search(text) else None


def find_imaging_result(text: str) -> str | None:
    """The result an imaging sentence reports: indeterminate, equivocal, infection,
    abnormal (a finding that is not denied) or normal; None when it says nothing."""
    if IMAGING_ABORTED.search(text):
        return "aborted"
    if IMAGING_INDETERMINATE.search(text) and not DIAGNOSTIC.search(text):
        return "indeterminate"  # "mild motion artifact, diagnostic" was diagnostic
    if IMAGING_EQUIVOCAL.search(text):
        return "equivocal"
    if IMAGING_INFECTION.search(IMAGING_DENIED.sub(" ", text)):
        return "infection"
    if IMAGING_STABLE.search(text):
        return "stable"
    if IMAGING_ABNORMAL.search(IMAGING_DENIED.sub(" ", text)):
        return "abnormal"
    denied_findings = any(IMAGING_ABNORMAL.search(m.group()) for m in IMAGING_DENIED.finditer(text))
    if IMAGING_NORMAL.search(text) or denied_findings:
        return "normal"
    return None


#: A report's exam line: the study named right after the label ("EXAM: MRI LUMBAR SPINE").
EXAM_LINE = re.compile(r"[ \t]*(?:exam(?:ination)?|procedure|study|exam type|"
                       r"examination performed)\s*:\s*", re.I)
IMPRESSION = re.compile(r"(?im)^[ \t]*(?:final\s+)?(?:impression|conclusions?|interpretation)"
                        r"\s*:?[ \t]*\n?")
_REPORT_END = re.compile(r"(?im)^[ \t]*(?:dictated|signed|electronically signed|"
                         r"dictated/signed|read by|attending radiologist|radiologist)\b|\n[ \t]*\n")
_REPORT_REACH = 4000  # characters from an exam line to its impression, at most
_ITEM = re.compile(r"(?m)^[ \t]*(?:\d+[.)]|[-*\u2022])?[ \t]*(\S[^\n]*)")


def report_result(text: str, exam_end: int, region: str | None) -> str | None:
    """The result a radiology report's impression gives the study its exam line names.

    "Exam: XR THORACIC SPINE + XR LUMBAR SPINE ... Impression: 1. Acute T12 compression
    fracture. 2. Normal lumbar spine radiographs.": each impression item that names the
    study's region (else the items that name no spinal region) gives its result, so the
    thoracic film is abnormal and the lumbar one normal.
    """
    found = IMPRESSION.search(text, exam_end, exam_end + _REPORT_REACH)
    if found is None:
        return None
    body = text[found.end():found.end() + 1200]
    end = _REPORT_END.search(body)
    body = body[:end.start()] if end else body
    items = [m.group(1) for m in _ITEM.finditer(body)]
    named = [(item, {r for pattern, r in SPINE_REGION_WORDS if pattern.search(item)})
             for item in items]
    mine = [item for item, regions in named if region in regions] if region else []
    use = mine or [item for item, regions in named if not regions] or (
        [] if region else items)
    return find_imaging_result(" ".join(use)) if use else None


AGE = re.compile(r"\b(\d{1,3})[- ]?(?:y/?o|yo|yr old|year[- ]old|years? old|-year-old)\b", re.I)


def find_age(text: str) -> Found[int] | None:
    """The first age stated as "57 yo", "57-year-old" (value: years), with its span."""
    m = AGE.search(text)
    if m and 0 <= int(m.group(1)) <= 120:
        return Found(int(m.group(1)), m.start(), m.end())
    return None


NOTE_DATE = re.compile(
    r"(?im)^[ \t]*(?:[\w /-]{0,40}?)?(?:date of service|dos|date of visit|visit date|service date|encounter date|date of exam|exam date|date of study|date of note|note date|date)\s*[:#]?\s*"
    r"(?P<d>[0-9A-Za-z/,. -]{6,25})")


def note_dates(text: str) -> list[Found[date]]:
    """Date-of-service headers in a document: each one dates the text that follows it."""
    out: list[Found[date]] = []
    for m in NOTE_DATE.finditer(text):
        dates = find_dates(m.group("d"))
        full = [d for d in dates if d.start == 0]
        if full:
            out.append(Found(full[0].value, m.start(), m.end()))
    return out


LAB_NAME = [("esr", re.compile(r"\b(?:ESR|sed(?:imentation)? rate)\b", re.I)),
            ("crp", re.compile(r"\b(?:hs)?(?:CRP|C-reactive protein)\b", re.I)),
            ("wbc", re.compile(r"\b(?:WBC|white (?:blood )?(?:cell )?count|leukocytosis)\b", re.I))]
LAB_HIGH = re.compile(r"\((?:H|high)\)|\d[\w/%. ]{0,14}?\s(?-i:HH?)(?=\s|$|\|)|\b(?:elevated|increased|high|raised|rising|leukocytosis)\b", re.I)
LAB_NORMAL = re.compile(r"\((?:N|normal|WNL)\)|\b(?:normal|WNL|within normal limits|unremarkable)\b", re.I)
LAB_VALUE = re.compile(r"(\d+(?:\.\d+)?)\s*(mm/h(?:r)?|mg/L|mg/dL|K/uL|x ?10\^?9/L|k)?", re.I)
# upper limits of normal, by lab and unit (None: any unit)
LAB_LIMITS = {("esr", None): 20.0, ("crp", "mg/l"): 10.0, ("crp", "mg/dl"): 1.0,
              ("wbc", None): 11.0}


def read_lab(text: str) -> tuple[str | None, bool | None]:
    """(lab name, abnormal?) for an inflammatory-lab mention: flags first ("(H)",
    "elevated", "normal"), else the value against the upper limit of normal."""
    name = next((n for n, p in LAB_NAME if p.search(text)), None)
    if LAB_HIGH.search(text):
        return name, True
    if LAB_NORMAL.search(text):
        return name, False
    m = LAB_VALUE.search(text)
    if name is None or m is None:
        return name, None
    value, unit = float(m.group(1)), (m.group(2) or "").lower() or None
    limit = LAB_LIMITS.get((name, unit), LAB_LIMITS.get((name, None)))
    if limit is None and name == "crp":
        limit = 10.0 if value > 3 else 1.0  # no unit: mg/L if large, mg/dL if small
    return name, value > limit if limit is not None else None


# Body sites outside the spine that a trauma, gout, fracture or infection mention may name
# ("L ankle ORIF", "gout flare in the left great toe"), and words that put it on the spine.
BODY_SITE = re.compile(
    r"\b(?P<site>ankles?|knees?|(?:great |big )?toes?|feet|foot|heels?|wrists?|hands?|fingers?|"
    r"thumbs?|elbows?|shoulders?|rotator cuff|hips?|femur|femoral|arms?|forearms?|tibia[l]?|fibula[r]?|"
    r"humer(?:us|al)|radius|ulna[r]?|clavicle|ribs?|nose|nasal|jaw|orbit(?:al)?|"
    r"(?:ACL|MCL|meniscus|achilles tendon)|forearm|shin|calf|thigh|patella[r]?|podagra|"
    r"first MTP|MTP joint|metatarsal\w*|metacarpal\w*|skin|urinary tract|bladder infection|"
    r"lungs?|pneumonia|cellulitis of the (?:leg|arm|foot)|"
    r"intracranial|cerebral|cerebellar|brain|skull|aneurysm|esophag\w*|trachea|carotid|"
    r"laryn\w*)\b", re.I)
SPINAL_WORDS = re.compile(
    r"\b(?:back|spin\w*|neck|lumbar|lumbosacral|thoracic|cervical|sacr\w*|coccy\w*|tailbone|"
    r"vertebr\w*|dis[ck]s?|discitis|facet\w*|paraspinal|(?-i:[CTL]\d{1,2}|S[1-5])|"
    r"(?-i:LBP)|radicul\w*|sciatica|cord|cauda|whiplash|epidural|SI joints?|sacroiliac|"
    r"dura\w*|thecal|intrathecal|(?:pseudo)?meningocele|foramin\w*|laminectomy|"
    r"discectomy|fusion|myelo\w*)\b",
    re.I)


DISTANCE_OR_STANCE = re.compile(
    r"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty))[- ]?$|\b(?:on|onto|to) (?:his|her|their|both|the) $", re.I)


def find_body_site(clause: str) -> str | None:
    """A non-spinal body site the clause names, when it names no spinal part; else None.
    "a 10-foot ladder", "landed on his feet" name a distance or a stance, not an injury site."""
    if SPINAL_WORDS.search(clause):
        return None
    for m in BODY_SITE.finditer(clause):
        site = m.group("site").lower()
        if site in ("foot", "feet") and DISTANCE_OR_STANCE.search(clause[:m.start()]):
            continue
        return site
    return None


REMOTE_WORDS = re.compile(
    r"\b(?:remote|long ago|years? ago|decades? ago|as an? (?:child|kid|teen\w*|adolescent|"
    r"young (?:man|woman|adult))|in (?:college|high school|grade school|the (?:army|military|"
    r"service|navy))|in (?:his|her|their) (?:teens|twenties|20s|thirties|30s)|childhood|"
    r"(?:many|several|\d+|two|three|four|five|ten|twenty) (?:years|yrs|decades) (?:ago|prior|"
    r"earlier)|old (?:injury|fracture|trauma)|healed)\b", re.I)
YEAR = re.compile(r"(?<![\d/.-])(?:19[4-9]\d|20[0-4]\d)(?![\d/-]|\.\d)")


def find_recency(clause: str, ref: date | None, *, now: date | None = None,
                 remote_days: int = 365) -> str | None:
    """``remote`` when the clause dates what it says (a year, a date, "in college",
    "years ago") more than ``remote_days`` before ``now`` (the request; default ``ref``);
    ``recent`` when it dates it inside; None when it gives no time. ``ref`` (the note's date)
    resolves relative times ("2 weeks ago"); an undated mention in a note written over
    ``remote_days`` before ``now`` is remote too."""
    if REMOTE_WORDS.search(clause) and not re.search(r"\b(?:a|one|1) years? ago\b", clause, re.I):
        return "remote"
    now = now or ref
    if ref is None or now is None:
        return None
    when: list[date] = [f.value for f in find_dates(clause, ref)]
    when += [date(int(m.group()), 7, 1) for m in YEAR.finditer(clause)]
    when += [f.value.end for f in find_durations(clause, ref)
             if f.value.ago and f.value.end is not None]
    if not when:
        return "remote" if (now - ref).days > remote_days else None
    latest = max(when)
    return "remote" if (now - latest).days > remote_days else "recent"


# A mention on a form line: a checkbox, or "Field: yes/no" alone on its line.
FORM_LINE = re.compile(r"\[\s*[xX✓✔*]?\s*\]|[☐☑☒]|\(\s*[xX]\s*\)|"
                       r"^\s*[\w /()#&.-]{2,50}:\s*(?:yes|no|y|n|true|false|unknown|n/a|"
                       r"new|chronic|none)\s*$", re.I | re.M)
AMENDMENT = re.compile(r"\b(?:addendum|late entry|amended|amendment|correction|corrected (?:note|"
                       r"entry|report))\b", re.I)


_BOX = r"(?:\[\s*[xX✓✔*]\s*\]|[☑☒]|\(\s*[xX]\s*\))"
_EMPTY = r"(?:\[\s*\]|☐|\(\s*\))"
# "[ ] Y  [X] N" answers like "[ ] Yes  [x] No"
_NO = r"(?:no|n)\b"
_YES = r"(?:yes|y)\b"
FORM_NO = re.compile(rf"{_EMPTY}\s*{_YES}.{{0,12}}?{_BOX}\s*{_NO}|{_BOX}\s*{_NO}|\b{_NO}\s*{_BOX}|"
                     rf"^[^:\n]*:\s*(?:no|n|none|denies|negative)\s*$", re.I | re.M)
FORM_YES = re.compile(rf"{_BOX}\s*{_YES}|\b{_YES}\s*{_BOX}|^[^:\n]*:\s*(?:yes|y)\b", re.I | re.M)


# "Pacemaker: No. Metal implants: No.": a label answered right after it
LABEL_ANSWER = re.compile(r"[ \t]*[:=][ \t]*(?:no|none|negative|denies|absent|n|yes|y|present)\b",
                          re.I)


def line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end offsets of the line (or lines) holding text[start:end]."""
    line_end = text.find("\n", end)
    return text.rfind("\n", 0, start) + 1, len(text) if line_end < 0 else line_end


def find_form_answer(text: str, start: int, end: int) -> str | None:
    """``yes`` or ``no`` as ticked on the form line of the mention at [start, end)
    ("Metal fragments ...... [ ] Yes [x] No"); None when the line ticks nothing."""
    line_start, line_end = line_bounds(text, start, end)
    line = text[line_start:line_end]
    label = LABEL_ANSWER.match(text, end)
    if label:
        return "yes" if re.search(r"(?:yes|y|present)$", label.group(), re.I) else "no"
    # a checklist: the box just before the item ("[ ] Fever  [x] Trauma") answers for it
    before = text[line_start:start]
    if re.search(rf"{_EMPTY}\s*$", before):
        return "no"
    if re.search(rf"{_BOX}\s*$", before):
        return "yes"
    if FORM_NO.search(line):
        return "no"
    if FORM_YES.search(line):
        return "yes"
    return None


def find_source(text: str, start: int, end: int) -> str:
    """``form_field`` when the mention at [start, end) sits on a form line, ``addendum``
    when an addendum or correction heading precedes it, else ``narrative``."""
    if FORM_LINE.search(text, *line_bounds(text, start, end)):
        return "form_field"
    if AMENDMENT.search(text, max(0, start - 400), end):
        return "addendum"
    return "narrative"


# A risk discussion (informed consent): "Operation, expected outcome, risks, and benefits were
# discussed with him. Risks include bleeding ... The hematoma could also be an epidural hematoma,
# which may compress the spinal cord ... The patient understood all these risks and agreed."
# Everything it names is what could happen, not what has: the block runs from the sentence that
# opens the discussion through each next sentence that still speaks of risk or of what may,
# could or can happen, and ends at the sentence where the patient understands or agrees, at a
# blank line, or at the first sentence that states a fact ("She completed 8 weeks of PT").
RISK_OPENER = re.compile(
    r"\b(?:risks|complications|risks? (?:and|,) benefits)\b[^.;()]{0,80}?\b(?:were|was|have been|has been)?\s*"
    r"(?:discussed|explained|reviewed|gone over|include[sd]?|including)\b|"
    r"\b(?:discussed|explained|reviewed|went over)\b[^.;()]{0,80}?\b(?:risks|complications)\b", re.I)
# a heading inside a run-on line ("...,DESCRIPTION OF PROCEDURE:, The patient ...") or a line
# break ends a discussion inside its sentence
CLAUSE_BOUND = re.compile(r"[A-Z][A-Z/&-]+(?: [A-Z/&-]+)*:|\n")
RISK_GOES_ON = re.compile(
    r"\b(?:risks?|complications?|possibility|potential(?:ly)?|may|might|(?<!\bnot )could(?! not)|"
    r"can(?!not|'t)|should (?:this|that|these|the|there|it|he|she|they)|if)\b", re.I)
RISK_CLOSER = re.compile(
    r"\b(?:understood|understands|verbalized understanding)\b[^.]{0,40}?\b(?:risks|all|these)\b|"
    r"\bagree[sd]? (?:to|with)\b|\bagrees\.|\bwish(?:es|ed)? to proceed|\belect(?:s|ed)? to proceed|"
    r"\b(?:gave|given|obtained|signed)\b[^.]{0,30}?\bconsent|\bconsent\b[^.]{0,20}?\b(?:was|were) "
    r"(?:obtained|signed|given)|\bconsented\b", re.I)


def risk_discussions(text: str, bounds: Sequence[tuple[int, int]], *,
                     max_sentences: int = 20) -> list[tuple[int, int]]:
    """Character ranges of the risk discussions in ``text``, whose sentences are ``bounds``
    (start, end offsets; the pipeline's own sentence splitter gives them)."""
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(bounds):
        s, e = bounds[i]
        opener = RISK_OPENER.search(text, s, e)
        if not opener:
            i += 1
            continue
        s = opener.start()  # "Because the pain ..., I discussed ... risks": not the pain
        after = CLAUSE_BOUND.search(text, opener.end(), e)
        if after:  # the discussion ends inside its own sentence, at a heading
            blocks.append((s, after.start()))
            i += 1
            continue
        end = e
        j = i + 1
        while (j < len(bounds) and j - i <= max_sentences and end - s < 4000
               and not RISK_CLOSER.search(text, s, end)):
            ns, ne = bounds[j]
            if not any(c.isalpha() for c in text[ns:ne]):  # a list number ("4.") goes on
                end, j = ne, j + 1
                continue
            if "\n\n" in text[end:ns] or not (RISK_GOES_ON.search(text, ns, ne)
                                              or RISK_CLOSER.search(text, ns, ne)):
                break
            heading = CLAUSE_BOUND.search(text, ns, ne)
            if heading:
                ne = heading.start()
            end = ne
            j += 1
            if heading:
                break
            if RISK_CLOSER.search(text, ns, ne):
                break
        blocks.append((s, end))
        i = j
    return blocks


# Policy definition A: a provider-directed home exercise program needs written instructions AND
# documented compliance. "Gave written HEP sheet", "HEP not reviewed today" document the
# program, not that the patient does it; "doing HEP daily", "compliant with HEP", "HEP x 8 wks"
# document compliance.
HEP_COMPLIANT = re.compile(
    r"\b(?:complian\w*|adheren\w*|adherent|doing|does|did|performing|performs|performed|"
    r"continu\w*|completed|consistently|faithfully|regularly|keeps up|kept up|log|diary|"
    r"working on|has been)\b", re.I)
HEP_PRESCRIBED = re.compile(
    r"\b(?:gave|given|provided|issued|instructed|taught|educated|education|handouts?|sheet|"
    r"prescribed|reviewed|demonstrated|recommended|printed|written|initiated|started on)\b", re.I)


def hep_compliance(clause: str) -> bool | None:
    """True when the clause documents the patient doing the home exercise program, False when
    it documents only the program given (or not reviewed), None when it says neither."""
    if HEP_COMPLIANT.search(clause):
        return True
    return False if HEP_PRESCRIBED.search(clause) else None


# "She was started on meloxicam ... in May": a medication started on a date and not said to be
# stopped is taken from then to the note
MED_STARTED = re.compile(r"\b(?:started|begun|began|initiated|put on|placed on|prescribed)\b", re.I)
MED_STOPPED = re.compile(r"\b(?:stopped|discontinued|d/c'?d|finished|completed|ran out|"
                         r"no longer|off (?:of )?it|quit|for (?:a |one |\d+ )?(?:days?|weeks?|wks?|months?)|"
                         r"dose ?pak|dosepak|taper)\b", re.I)


QUESTION_ANSWER = re.compile(r"[ \t]*(?:[-:\u2013]\s*)?(?:\[\s*[xX]\s*\]\s*)?(?P<a>yes|y|no|n|none|negative|"
                             r"positive|denies|unknown|unk)\b", re.I)


def question_answer(text: str, after: int) -> str | None:
    """"yes" / "no" for the answer written right after a question ending at ``after``
    ("...arising out of employment? No."), None when none is written there."""
    m = QUESTION_ANSWER.match(text, after)
    if not m:
        return None
    word = m.group("a").lower()
    if word in ("yes", "y", "positive"):
        return "yes"
    if word in ("no", "n", "none", "negative", "denies"):
        return "no"
    return None


# A question: the clause before "?" opens with a verb or a question word ("Is condition due to
# injury ...?", "Any falls?"); "discitis, worsening: epidural abscess?" asks nothing, it suspects.
QUESTION_OPENER = re.compile(
    r"(?:\d+[.)]\s*)?(?:is|are|was|were|do|does|did|has|have|had|any|can|could|will|would|"
    r"should|how|what|when|where|why|who|which)\b", re.I)
_ASKED_FROM = re.compile(r"[:;]\s*|\s[-\u2013]\s+|\n\s*")


def question_start(sentence: str) -> int | None:
    """Where the question of a sentence ending in "?" begins (its last clause, when that opens
    like a question), else None."""
    body = sentence.rstrip()
    if not body.endswith("?"):
        return None
    start = 0
    for m in _ASKED_FROM.finditer(body):
        start = m.end()
    lead = len(body[start:]) - len(body[start:].lstrip())
    return start + lead if QUESTION_OPENER.match(body, start + lead) else None


# A referral or order form for therapy: its title says so ("PHYSICAL THERAPY REFERRAL / ORDER",
# "Rx: Physical therapy", "Chiropractic referral") or its file name does ("pt_referral.txt").
ORDER_TITLE = re.compile(
    r"\b(?:referral|order|requisition|prescription|rx)\b.*\b(?:physical therapy|PT|chiropractic|"
    r"therapy|rehab\w*)\b|\b(?:physical therapy|PT|chiropractic|therapy|rehab\w*)\b.*"
    r"\b(?:referral|order|requisition|prescription)\b", re.I)
ORDER_FILE = re.compile(r"(?:pt|therapy|physio|chiro)\w*[_ -]*(?:referral|order|rx)|"
                        r"(?:referral|order)[_ -]*(?:pt|therapy|physio|chiro)", re.I)


def is_order_form(page_text: str, document: str) -> bool:
    """True when a page is a therapy referral or order form (its title or file name)."""
    if ORDER_FILE.search(document):
        return True
    lines = [line.strip() for line in page_text[:600].splitlines() if line.strip()][:3]
    # the title: the first line, or an upper-case line under a fax header
    titles = lines[:1] + [line for line in lines[1:] if line.isupper()]
    return any(ORDER_TITLE.search(line) for line in titles)
