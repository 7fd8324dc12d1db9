"""Dates, durations and outcomes normalised against the note's date."""

from __future__ import annotations

from datetime import date

import pytest

from priorauth.extract import values as V

REF = date(2026, 10, 1)


@pytest.mark.parametrize(("text", "days", "start", "end"), [
    ("PT x6 wks", 42, None, None),
    ("PT x 8 weeks", 56, None, None),
    ("for two months", 60, None, None),
    ("8 sessions over 7 weeks", 49, None, None),
    ("Completed 6+ wks of formal PT", 42, None, None),
    ("since August", 47, date(2026, 8, 15), None),
    ("since 8/1/2026", 61, date(2026, 8, 1), None),
    ("from 3/2 to 4/20", 49, date(2026, 3, 2), date(2026, 4, 20)),
    ("PT from 6/2/2026 to 8/15/2026", 74, date(2026, 6, 2), date(2026, 8, 15)),
    ("PT ended 8 months ago", None, None, date(2026, 2, 3)),
], ids=lambda v: str(v))
def test_durations_are_normalised_to_days_and_dates(text, days, start, end):
    found = V.find_durations(text, REF)
    assert found, text
    d = found[0].value
    assert (d.days, d.start, d.end) == (days, start, end)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("PT from January to March of 2025, ten visits", date(2025, 1, 15), date(2025, 3, 15)),
    ("PT from November to February 2026", date(2025, 11, 15), date(2026, 2, 15)),
    ("PT from June to August, 12 visits", date(2026, 6, 15), date(2026, 8, 15)),  # no year
])
def test_a_range_start_takes_the_year_its_end_states(text, start, end):
    d = V.find_durations(text, REF)[0].value
    assert (d.start, d.end) == (start, end)


@pytest.mark.parametrize(("text", "outcome"), [
    ("Back still 6/10 most days, same as Sept despite meloxicam daily", "failed"),
    ("says it has not made a meaningful difference", "failed"),
    ("Despite the pain she completed PT and is much better", "improved"),  # counterexample
])
def test_outcome_words(text, outcome):
    assert V.find_outcome(text) == outcome


@pytest.mark.parametrize(("clause", "compliance"), [
    ("Gave written home exercise sheet and reviewed each exercise", False),
    ("Home exercise program not reviewed today", False),
    ("compliant with HEP 2x/day per her log", True),
    ("HEP", None),
])
def test_home_exercise_compliance(clause, compliance):
    assert V.hep_compliance(clause) is compliance


@pytest.mark.parametrize(("text", "answer"), [
    ("Is condition due to injury? No. Onset gradual.", "no"),
    ("Any falls? [x] Yes", "yes"),
    ("Any falls? Pt unsure.", None),
])
def test_a_question_is_answered_by_what_follows_it(text, answer):
    assert V.question_answer(text, text.index("?") + 1) == answer


@pytest.mark.parametrize(("sentence", "asked"), [
    ("4. Is condition due to injury or sickness arising out of employment?", 0),
    ("Falls: Any falls in the past month?", len("Falls: ")),
    # counterexamples: a trailing "?" after a finding suspects it, asks nothing
    ("T9-T10 discitis on cefazolin, worsening - rising CRP: epidural abscess?", None),
    ("Cauda equina?", None),
    ("No falls.", None),
])
def test_where_a_question_begins(sentence, asked):
    assert V.question_start(sentence) == asked


@pytest.mark.parametrize(("text", "when"), [
    ("MRI 09/14/2026", date(2026, 9, 14)),
    ("MRI 2026-09-14", date(2026, 9, 14)),
    ("MRI Sept 14, 2026", date(2026, 9, 14)),
    ("MRI 06/2023", date(2023, 6, 15)),
    ("did 6 weeks of PT last winter", date(2026, 1, 15)),
    ("in March", date(2026, 3, 15)),
    ("stopped naproxen in early August", date(2026, 8, 5)),
    ("pain began late June", date(2026, 6, 25)),
    ("on 12/20", date(2025, 12, 20)),  # a month/day after the note's date is last year's
    ("visits 10/13, 10/27", date(2026, 10, 13)),  # within a month after it: this year's
    ("a second work-related injury in May of 2005", date(2005, 5, 15)),  # not this May
    ("He fell again in August of 2008.", date(2008, 8, 15)),
    ("seen in May for the same complaint", date(2026, 5, 15)),  # counterexample: no year
])
def test_dates_resolve_against_the_note_date(text, when):
    assert V.find_dates(text, REF)[0].value == when


@pytest.mark.parametrize(("text", "days"), [
    ("Medrol dosepak sometime in August - helped a few days.", []),  # how long it helped
    ("ibuprofen gave relief for 2 weeks, then stopped working", []),
    ("meloxicam x 8 weeks without relief", [56]),  # counterexample: the treatment's length
])
def test_a_duration_of_the_effect_is_not_the_treatments(text, days):
    assert [f.value.days for f in V.find_durations(text, REF)] == days


@pytest.mark.parametrize(("text", "outcome"), [
    ("No improvement after 8 weeks of PT", "failed"),
    ("meloxicam x 8 wks w/o relief", "failed"),
    ("not improving on NSAID", "failed"),
    ("PT helped significantly", "improved"),
    ("good relief with gabapentin", "improved"),
    ("Goals not met", "failed"),
    ("currently in PT", "ongoing"),
    ("completed PT", None),
    # a negated improvement word is a failure, however it is worded
    ("Her neck pain was not better after 8 weeks of PT", "failed"),
    ("not any better with naproxen", "failed"),
    ("not much better since starting HEP", "failed"),
    ("much better after 6 weeks of PT", "improved"),  # counterexample
])
def test_treatment_outcome(text, outcome):
    assert V.find_outcome(text) == outcome


@pytest.mark.parametrize(("text", "change"), [
    ("new onset low back pain", "new"),
    ("chronic LBP", "chronic"),
    ("pain has been worse since the MRI", "worsening"),
    ("pain worse with sitting", None),
    ("progressive weakness", "worsening"),
    ("leg weakness was not new", None),  # denied newness
    ("the numbness is not new; it began in 2019", None),
    ("weakness that is new since July", "new"),  # counterexample
    ("Symptoms are unchanged since the MRI, no new numbness or weakness", "unchanged"),
    ("radicular leg symptoms persist essentially unchanged", "unchanged"),  # not chronic
    ("no new numbness", "new"),  # the newness stays; the cue "no" denies the numbness
])
def test_symptom_change_ignores_aggravating_factors(text, change):
    assert V.find_change(text) == change


@pytest.mark.parametrize(("text", "result"), [
    ("MRI non-diagnostic due to motion", "indeterminate"),
    ("radiographs equivocal", "equivocal"),
    ("normal alignment, no fracture", "normal"),
    ("L4-5 disc herniation", "abnormal"),
    ("MRI was aborted", "aborted"),
    ("findings concerning for discitis", "infection"),
    ("MRI was cancelled when she could not lie flat", "aborted"),
    ("MRI DEFERRED (not cancelled)", None),  # counterexample: a denied cancellation
])
def test_imaging_result(text, result):
    assert V.find_imaging_result(text) == result
