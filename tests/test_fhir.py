"""FHIR (issue 13): the policy as a Questionnaire, a request Bundle in, the review out as a
QuestionnaireResponse; the same review as from the files, errors that name the resource."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from priorauth.cli import main
from priorauth.extract.gate import ChartReadError
from priorauth.fhir import codes
from priorauth.fhir.bundle_in import attachment_files, parse_bundle
from priorauth.scoring.tree import load_policy

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
TEXT_CASE = SAMPLES / "01_pt_failed_pacemaker"      # one note, lumbar, meets criteria
TWO_NOTES = SAMPLES / "10_mri_motion_foot_drop"     # two notes
PDF_CASE = SAMPLES / "05_myelopathy_cochlear_pdf"   # a two-page PDF, cervical
PDF_CASE_2 = SAMPLES / "12_chronic_neck_pain_pdf"
CPT = "http://www.ama-assn.org/go/cpt"


# ---- building request bundles -----------------------------------------------------------------

def _documents(case: Path) -> list[Path]:
    return sorted(p for p in case.iterdir() if p.suffix in (".txt", ".pdf"))


def _attachment(path: Path) -> dict:
    return {"contentType": "application/pdf" if path.suffix == ".pdf" else "text/plain",
            "title": path.name, "data": base64.b64encode(path.read_bytes()).decode()}


def _birth_date(request: dict) -> str:
    """A date of birth giving the request's age on its request date."""
    return f"{date.fromisoformat(request['request_date']).year - request['age']}-01-01"


def pas_bundle(case: Path, *, documents: list[Path] | None = None, how: str = "reference",
               request: dict | None = None) -> dict:
    """A Da Vinci PAS-style request bundle for a sample chart: a preauthorization Claim with
    the request's CPT codes and date, its Patient, and the documents as DocumentReferences
    (``how="reference"``), Binaries (``"binary"``) or inline Claim attachments
    (``"inline"``), all base64."""
    request = request or json.loads((case / "request.json").read_text())
    documents = documents if documents is not None else _documents(case)
    supporting, entries = [], []
    for n, path in enumerate(documents, start=1):
        info = {"sequence": n, "category": {"coding": [{
            "system": "http://hl7.org/us/davinci-pas/CodeSystem/PASSupportingInfoType",
            "code": "additionalInformation"}]}}
        if how == "inline":
            info["valueAttachment"] = _attachment(path)
        elif how == "binary":
            info["valueReference"] = {"reference": f"Binary/bin{n}"}
            attachment = _attachment(path)
            entries.append({"fullUrl": f"http://payer.example/fhir/Binary/bin{n}",
                            "resource": {"resourceType": "Binary", "id": f"bin{n}",
                                         "contentType": attachment["contentType"],
                                         "data": attachment["data"]}})
        else:
            info["valueReference"] = {"reference": f"DocumentReference/doc{n}"}
            entries.append({"fullUrl": f"http://payer.example/fhir/DocumentReference/doc{n}",
                            "resource": {"resourceType": "DocumentReference", "id": f"doc{n}",
                                         "status": "current",
                                         "content": [{"attachment": _attachment(path)}]}})
        supporting.append(info)
    claim = {
        "resourceType": "Claim", "id": "pa1", "status": "active", "use": "preauthorization",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                             "code": "professional"}]},
        "patient": {"reference": "Patient/pat1"},
        "created": f"{request['request_date']}T09:30:00-05:00",
        "insurer": {"reference": "Organization/payer"},
        "provider": {"reference": "Organization/clinic"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True,
                       "coverage": {"reference": "Coverage/cov1"}}],
        "supportingInfo": supporting,
        "item": [{"sequence": n, "productOrService": {"coding": [{"system": CPT,
                                                                  "code": code}]}}
                 for n, code in enumerate(request["cpt"], start=1)],
    }
    patient = {"resourceType": "Patient", "id": "pat1",
               "gender": {"F": "female", "M": "male"}[request["sex"]],
               "birthDate": _birth_date(request)}
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://payer.example/fhir/Claim/pa1", "resource": claim},
        {"fullUrl": "http://payer.example/fhir/Patient/pat1", "resource": patient},
        {"fullUrl": "http://payer.example/fhir/Organization/payer",
         "resource": {"resourceType": "Organization", "id": "payer", "name": "A payer"}},
        *entries]}


def _write(path: Path, bundle: dict) -> Path:
    path.write_text(json.dumps(bundle), "utf-8")
    return path


def _review_args(case: Path, documents: list[Path] | None = None) -> list[str]:
    request = json.loads((case / "request.json").read_text())
    args = [str(p) for p in (documents or _documents(case))]
    for code in request["cpt"]:
        args += ["--cpt", code]
    return args + ["--request-date", request["request_date"], "--age", str(request["age"]),
                   "--sex", request["sex"]]


def _run(capsys, *args: str | Path) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def _json_review(capsys, *args) -> dict:
    status, out, err = _run(capsys, "review", *args, "--format", "json")
    assert status == 0, err
    return json.loads(out)


def _comparable(review: dict, names: dict[str, str]) -> dict:
    """The review with document names mapped (file name -> bundle resource)."""
    text = json.dumps(review)
    for old, new in names.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    return json.loads(text)


# ---- the Questionnaire ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def questionnaire(tmp_path_factory) -> Questionnaire:
    out = tmp_path_factory.mktemp("q") / "questionnaire.json"
    assert main(["questionnaire", "--output", str(out)]) == 0
    return Questionnaire.model_validate_json(out.read_text("utf-8"))


def _q_items(items):
    for item in items or ():
        yield item
        yield from _q_items(item.item)


def test_questionnaire_is_the_policy_tree_with_its_wording(questionnaire):
    policy = load_policy()
    assert questionnaire.url == codes.questionnaire_url(policy.policy["id"])
    assert questionnaire.version == policy.policy["version"] == "2.1"
    items = {i.linkId: i for i in _q_items(questionnaire.item)}
    assert len(items) == len(list(_q_items(questionnaire.item)))  # linkIds are unique
    for node in policy.walk():
        item = items[node.id]
        assert item.text == node.text and item.type == "choice"
        assert [c.linkId for c in item.item or ()] == [c.id for c in node.children]
        assert [o.valueCoding.code for o in item.answerOption] == ["met", "not-met", "unknown"]
        assert {o.valueCoding.system for o in item.answerOption} == {codes.STATUS_SYSTEM}
    tops = {i.linkId: [c.linkId for c in i.item or ()] for i in questionnaire.item}
    assert tops["indications"] == [n.id for n in policy.indications]
    assert tops["non-indications"] == [n.id for n in policy.non_indications]
    # a region's criteria are enabled by the requested region; missing by the determination
    assert {w.answerString for w in items["ind.2"].enableWhen} == {"lumbar", "any", None}
    assert items["ind.1"].enableWhen is None
    assert items["missing"].enableWhen[0].answerCoding.code == "insufficient-documentation"


def test_questionnaire_is_the_same_bytes_each_run(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["questionnaire", "--output", str(first)]) == 0
    done = subprocess.run([sys.executable, "-m", "priorauth", "questionnaire", "--output",
                           str(second)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert first.read_bytes() == second.read_bytes()


# ---- a bundle reviewed as its files are --------------------------------------------------------

CASES = [(TEXT_CASE, "reference"), (TWO_NOTES, "binary"), (PDF_CASE, "reference"),
         (PDF_CASE_2, "inline")]


@pytest.mark.parametrize(("case", "how"), CASES,
                         ids=["text-docref", "two-texts-binary", "pdf-docref", "pdf-inline"])
def test_bundle_gets_the_same_review_as_its_files(case, how, tmp_path, capsys):
    bundle = _write(tmp_path / "request-bundle.json", pas_bundle(case, how=how))
    from_files = _json_review(capsys, *_review_args(case))
    from_bundle = _json_review(capsys, bundle)  # request, age and sex from the bundle alone
    prefix = {"reference": "DocumentReference/doc", "binary": "Binary/bin",
              "inline": "Claim/pa1 supportingInfo "}[how]
    names = {p.name: f"{prefix}{n}" for n, p in enumerate(_documents(case), start=1)}
    assert [d["name"] for d in from_bundle["documents"]] == list(names.values())
    assert from_bundle == _comparable(from_files, names)
    expected = json.loads((case / "expected.json").read_text())
    assert from_bundle["determination"] == expected["determination"]


def test_bundle_with_text_and_pdf_attachments_gets_the_files_review(tmp_path, make_pdf,
                                                                    capsys):
    note, other = _documents(TWO_NOTES)
    pdf = make_pdf("second_note.pdf", [other.read_text("utf-8").splitlines()[:45]])
    documents = [note, pdf]
    bundle = _write(tmp_path / "b.json", pas_bundle(TWO_NOTES, documents=documents))
    from_files = _json_review(capsys, *_review_args(TWO_NOTES, documents))
    from_bundle = _json_review(capsys, bundle)
    assert [d["kind"] for d in from_bundle["documents"]] == ["txt", "pdf"]
    names = {note.name: "DocumentReference/doc1", pdf.name: "DocumentReference/doc2"}
    assert from_bundle == _comparable(from_files, names)
    pages = {ev["page"] for c in from_bundle["criteria"] for ev in c["evidence"]
             if ev["document"] == "DocumentReference/doc2"}
    assert pages == {1}


def test_a_bundle_is_recognised_by_content_whatever_its_name(tmp_path, capsys):
    named = _write(tmp_path / "upload.txt", pas_bundle(TEXT_CASE))
    review = _json_review(capsys, named)
    assert review["determination"] == "meets_criteria"
    assert review["documents"][0]["name"] == "DocumentReference/doc1"


def test_command_line_flags_override_the_bundle(tmp_path, capsys):
    bundle = _write(tmp_path / "b.json", pas_bundle(TEXT_CASE))
    review = _json_review(capsys, bundle, "--cpt", "72125", "--request-date", "2026-11-01",
                          "--age", "70", "--sex", "M")
    assert review["request"] == {"cpt": ["72125"], "request_date": "2026-11-01", "age": 70,
                                 "sex": "M", "region": "cervical"}
    plain = _json_review(capsys, bundle)
    assert plain["request"] == {"cpt": ["72131"], "request_date": "2026-10-14", "age": 57,
                                "sex": "F", "region": "lumbar"}


def test_service_request_bundle_with_document_references(tmp_path, capsys):
    pas = pas_bundle(TEXT_CASE)
    docs = [e for e in pas["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
    service = {"resourceType": "ServiceRequest", "id": "sr1", "status": "active",
               "intent": "order", "subject": {"reference": "Patient/pat1"},
               "authoredOn": "2026-10-14",
               "code": {"coding": [{"system": CPT, "code": "72131"}]}}
    patient = next(e for e in pas["entry"] if e["resource"]["resourceType"] == "Patient")
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": service}, patient, *docs]}
    review = _json_review(capsys, _write(tmp_path / "sr.json", bundle))
    from_files = _json_review(capsys, *_review_args(TEXT_CASE))
    assert review == _comparable(from_files, {_documents(TEXT_CASE)[0].name:
                                              "DocumentReference/doc1"})


# ---- the response ---------------------------------------------------------------------------

def _response_items(items, parent=None):
    """(item, parent linkId) of every response item, through answers too."""
    for item in items or ():
        yield item, parent
        yield from _response_items(item.item, item.linkId)
        for answer in item.answer or ():
            yield from _response_items(answer.item, item.linkId)


def _fhir(capsys, *args) -> str:
    status, out, err = _run(capsys, "review", *args, "--format", "fhir")
    assert status == 0, err
    return out


@pytest.mark.parametrize(("case", "how"), [(TEXT_CASE, "reference"), (PDF_CASE, "binary")],
                         ids=["text", "pdf"])
def test_response_validates_and_answers_the_questionnaire(case, how, questionnaire, tmp_path,
                                                          capsys):
    bundle_path = _write(tmp_path / "b.json", pas_bundle(case, how=how))
    out = Bundle.model_validate_json(_fhir(capsys, bundle_path))
    review = _json_review(capsys, bundle_path)
    assert out.type == "collection"
    kinds = [e.resource.get_resource_type() for e in out.entry]
    assert kinds == ["QuestionnaireResponse", "Device", "Provenance"]
    response = QuestionnaireResponse.model_validate_json(out.entry[0].resource
                                                        .model_dump_json())
    assert response.questionnaire == f"{questionnaire.url}|{questionnaire.version}"
    assert response.subject.reference == "Patient/pat1"
    q_items = {i.linkId: i for i in _q_items(questionnaire.item)}
    q_parent = {c.linkId: i.linkId for i in _q_items(questionnaire.item) for c in i.item or ()}
    statuses = {}
    for item, parent in _response_items(response.item):
        assert item.linkId in q_items, item.linkId
        assert q_parent.get(item.linkId) == parent, item.linkId  # nested as the Questionnaire
        if item.linkId.startswith(("ind.", "non.")):
            (answer,) = item.answer
            statuses[item.linkId] = answer.valueCoding.code
    criteria = {c["id"]: c for c in review["criteria"]}
    region = review["request"]["region"]
    enabled: set[str] = set()

    def enable(node):  # a criterion of another region is disabled, its subtree with it
        if node.region in (None, region):
            enabled.add(node.id)
            for child in node.children:
                enable(child)

    for top in load_policy().tops():
        enable(top)
    assert enabled < set(criteria)
    assert set(statuses) == enabled
    assert statuses == {c: codes.STATUS_CODES[criteria[c]["status"]][0] for c in enabled}
    determination = next(i for i, _ in _response_items(response.item)
                         if i.linkId == "determination")
    assert determination.answer[0].valueCoding.code == \
        codes.DETERMINATION_CODES[review["determination"]][0]


def _evidence_of(response: QuestionnaireResponse, link_id: str) -> list[dict]:
    item = next(i for i, _ in _response_items(response.item) if i.linkId == link_id)
    out = []
    for ext in item.answer[0].extension or ():
        if ext.url == codes.EVIDENCE_EXTENSION:
            out.append({e.url: e.valueString or e.valueReference or e.valueInteger
                        or e.valuePositiveInt or e.valueCode for e in ext.extension})
    return out


def test_every_answer_carries_the_quotes_of_the_review(tmp_path, capsys):
    bundle_path = _write(tmp_path / "b.json", pas_bundle(PDF_CASE))
    response = Bundle.model_validate_json(_fhir(capsys, bundle_path)).entry[0].resource
    review = _json_review(capsys, bundle_path)
    policy = load_policy()
    with_evidence = [c for c in review["criteria"] if c["evidence"]  # ind.2 is lumbar only
                     and policy.node(c["id"].split(".")[0] + "." + c["id"].split(".")[1])
                     .region is None]
    assert with_evidence
    for criterion in with_evidence:
        got = _evidence_of(response, criterion["id"])
        assert [(g["quote"], g["page"], g["start"], g["end"], g["fact"]) for g in got] == [
            (e["text"], e["page"], e["start"], e["end"], e["fact"])
            for e in criterion["evidence"]]
        assert {g["document"].reference for g in got} == {"DocumentReference/doc1"}


def test_missing_documentation_is_answered_only_when_insufficient(tmp_path, capsys):
    case = SAMPLES / "07_pt_outside_window"
    expected = json.loads((case / "expected.json").read_text())
    assert expected["determination"] == "insufficient_documentation"
    response = Bundle.model_validate_json(
        _fhir(capsys, _write(tmp_path / "b.json", pas_bundle(case)))).entry[0].resource
    review = _json_review(capsys, tmp_path / "b.json")
    missing = [i for i in response.item if i.linkId == "missing"]
    assert [(m.item[0].answer[0].valueString, [a.valueString for a in m.item[1].answer])
            for m in missing] == [(m["indication"], m["unknown"]) for m in review["missing"]]
    assert missing
    met = Bundle.model_validate_json(
        _fhir(capsys, _write(tmp_path / "m.json", pas_bundle(TEXT_CASE)))).entry[0].resource
    assert not [i for i in met.item if i.linkId == "missing"]


def test_provenance_names_tool_and_policy_and_never_denies(tmp_path, capsys):
    import priorauth

    out = Bundle.model_validate_json(
        _fhir(capsys, _write(tmp_path / "b.json", pas_bundle(TEXT_CASE))))
    response, device, provenance = (e.resource for e in out.entry)
    assert provenance.target[0].reference == out.entry[0].fullUrl
    assert provenance.agent[0].who.reference == out.entry[1].fullUrl
    assert provenance.policy == ["https://priorauth.example/fhir/Questionnaire/"
                                 "cohere-ma-ct-spine|2.1"]
    assert device.version[0].value == priorauth.__version__
    assert "never denies" in provenance.activity.text
    assert [e.what.reference for e in provenance.entity] == ["Claim/pa1",
                                                            "DocumentReference/doc1"]
    assert provenance.recorded.isoformat().startswith("2026-10-14T00:00:00")
    assert str(response.authored) == "2026-10-14"


def test_fhir_output_is_the_same_bytes_on_a_rerun(tmp_path, capsys):
    bundle = _write(tmp_path / "b.json", pas_bundle(PDF_CASE))
    first = _fhir(capsys, bundle)
    done = subprocess.run([sys.executable, "-m", "priorauth", "review", str(bundle),
                           "--format", "fhir"], capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout == first.encode("utf-8")
    # and a different review gives different ids
    other = _fhir(capsys, _write(tmp_path / "c.json", pas_bundle(PDF_CASE_2)))
    assert json.loads(other)["id"] != json.loads(first)["id"]


def test_files_reviewed_with_format_fhir_cite_the_file_names(capsys):
    out = Bundle.model_validate_json(_fhir(capsys, *_review_args(TEXT_CASE)))
    response = out.entry[0].resource
    assert response.subject is None
    ev = _evidence_of(response, "ind.1.1")
    assert ev and {e["document"] for e in ev} == {"spine_followup_2026-10-02.txt"}


# ---- errors and what does not apply ----------------------------------------------------------

def _doc_resource(bundle: dict, n: int = 1) -> dict:
    return next(e["resource"] for e in bundle["entry"]
                if e["resource"].get("id") == f"doc{n}")


def _error(capsys, *args) -> str:
    status, out, err = _run(capsys, "review", *args)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("priorauth: error: ")
    return err


def test_attachment_given_by_url_is_refused_naming_the_resource(tmp_path, capsys):
    bundle = pas_bundle(TEXT_CASE)
    attachment = _doc_resource(bundle)["content"][0]["attachment"]
    del attachment["data"]
    attachment["url"] = "https://ehr.example/fhir/Binary/123"
    err = _error(capsys, _write(tmp_path / "b.json", bundle))
    assert "b.json: DocumentReference/doc1: attachment is given by URL" in err
    assert "no network" in err and "ehr.example" not in err


def test_bundle_without_claim_or_service_request_needs_cpt(tmp_path, capsys):
    bundle = pas_bundle(TEXT_CASE)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Claim"]
    path = _write(tmp_path / "b.json", bundle)
    err = _error(capsys, path)
    assert "b.json: the bundle holds no Claim (use 'preauthorization') and no " \
           "ServiceRequest" in err and "give --cpt" in err
    # given on the command line, the codes are enough: every DocumentReference is the chart
    review = _json_review(capsys, path, "--cpt", "72131", "--request-date", "2026-10-14")
    assert review["determination"] == "meets_criteria"


def test_non_ct_code_is_not_applicable_as_on_the_command_line(tmp_path, capsys):
    request = {**json.loads((TEXT_CASE / "request.json").read_text()), "cpt": ["72148"]}
    bundle = _write(tmp_path / "b.json", pas_bundle(TEXT_CASE, request=request))
    from_bundle = _json_review(capsys, bundle)
    args = _review_args(TEXT_CASE)
    args[args.index("72131")] = "72148"
    from_files = _json_review(capsys, *args)
    assert from_bundle["determination"] == from_files["determination"] == "not_applicable"
    assert from_bundle["request"] == from_files["request"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b["entry"][0]["resource"].update(use="claim"),
     "Claim/pa1: use is 'claim'; a prior-authorization request is a Claim with use "
     "'preauthorization'"),
    (lambda b: b["entry"][0]["resource"]["item"][0]["productOrService"]["coding"][0].update(
        code="7213"), "CPT code '7213' is not a 5-character code"),
    (lambda b: b["entry"][0]["resource"]["item"][0]["productOrService"]["coding"][0].update(
        system="http://snomed.info/sct"), "Claim/pa1: no item names a CPT code"),
    (lambda b: _doc_resource(b)["content"][0]["attachment"].update(data="bm90IGJhc2U2NA="),
     "DocumentReference/doc1: not a valid FHIR DocumentReference: "
     "content.0.attachment.data: base64 decode"),
    (lambda b: _doc_resource(b)["content"][0]["attachment"].update(contentType="image/png"),
     "DocumentReference/doc1: attachment type image/png is not read"),
    (lambda b: _doc_resource(b)["content"][0]["attachment"].update(
        contentType="application/pdf"), "DocumentReference/doc1: not a PDF file"),
    (lambda b: b["entry"][0]["resource"]["supportingInfo"][0].update(
        valueReference={"reference": "DocumentReference/elsewhere"}),
     "Claim/pa1: supportingInfo 1 points at a document that is not in the bundle"),
    (lambda b: b["entry"][0]["resource"].pop("insurance"),
     "Claim/pa1: not a valid FHIR Claim: insurance: missing"),
], ids=["claim-use", "bad-cpt", "no-cpt-coding", "bad-base64", "image-type", "pdf-not-pdf",
        "reference-outside", "invalid-claim"])
def test_bad_bundles_exit_2_with_one_line_naming_the_resource(change, message, tmp_path,
                                                              capsys):
    bundle = pas_bundle(TEXT_CASE)
    change(bundle)
    err = _error(capsys, _write(tmp_path / "b.json", bundle))
    assert f"b.json: {message}" in err
    assert "pacemaker" not in err and "naproxen" not in err  # no chart text


def test_a_damaged_pdf_attachment_is_named_by_its_resource(tmp_path, capsys):
    bundle = pas_bundle(PDF_CASE)
    attachment = _doc_resource(bundle)["content"][0]["attachment"]
    attachment["data"] = base64.b64encode(b"%PDF-1.4 truncated").decode()
    err = _error(capsys, _write(tmp_path / "b.json", bundle))
    assert "b.json: DocumentReference/doc1: PDF is damaged" in err
    assert "01-DocumentReference" not in err  # not the temporary file's name


def test_bundle_limits_attachments_and_bytes(tmp_path, capsys):
    bundle = pas_bundle(TEXT_CASE, documents=_documents(TEXT_CASE) * 51)
    err = _error(capsys, _write(tmp_path / "many.json", bundle))
    assert "many.json: the bundle has 51 attachments, more than the limit of 50" in err
    with pytest.raises(ChartReadError, match=r"^x\.json: DocumentReference/doc1: attachment "
                       r"is too large \(1,478 bytes; the limit is 1,000 bytes\)") as caught:
        parse_bundle("x.json", pas_bundle(TEXT_CASE), max_bytes=1000)
    assert caught.value.status == 413
    # what is validated is bounded before validation (it costs ~10 us a JSON value)
    huge = pas_bundle(TEXT_CASE)
    huge["entry"][0]["resource"]["supportingInfo"] *= 20_000
    with pytest.raises(ChartReadError, match=r"^x\.json: Claim/pa1: more than 100,000 JSON "
                       r"values in one resource"):
        parse_bundle("x.json", huge)
    many = pas_bundle(TEXT_CASE)
    many["entry"] += [{"resource": {"resourceType": "ServiceRequest", "id": f"s{n}"}}
                      for n in range(20)]
    with pytest.raises(ChartReadError, match="holds 21 Claims and ServiceRequests, more than "
                       "the limit of 20"):
        parse_bundle("x.json", many)


def test_other_fhir_resources_and_mixing_a_bundle_with_files_are_refused(tmp_path, capsys):
    claim = pas_bundle(TEXT_CASE)["entry"][0]["resource"]
    err = _error(capsys, _write(tmp_path / "claim.json", claim))
    assert "claim.json: a FHIR Claim, not a Bundle" in err
    bundle = _write(tmp_path / "b.json", pas_bundle(TEXT_CASE))
    err = _error(capsys, bundle, *_documents(TEXT_CASE), "--cpt", "72131")
    assert "b.json: a FHIR bundle is reviewed on its own" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"resourceType": "Bundle", "entry": [')
    assert "broken.json: not valid JSON" in _error(capsys, broken)


def test_attachments_are_written_privately_and_removed(tmp_path):
    bundle = parse_bundle("b.json", pas_bundle(TWO_NOTES, how="binary"))
    with attachment_files(bundle) as paths:
        folder = paths[0].parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [0o600, 0o600]
        assert [p.name for p in paths] == ["01-Binary-bin1.txt", "02-Binary-bin2.txt"]
        assert [p.read_bytes() for p in paths] == [d.read_bytes()
                                                  for d in _documents(TWO_NOTES)]
    assert not folder.exists()


def test_attachment_names_never_come_from_the_bundle_text():
    bundle = pas_bundle(TEXT_CASE, how="inline")
    attachment = bundle["entry"][0]["resource"]["supportingInfo"][0]["valueAttachment"]
    attachment["title"] = "../../etc/passwd"
    parsed = parse_bundle("b.json", bundle)
    assert [(a.name, a.filename) for a in parsed.attachments] == [
        ("Claim/pa1 supportingInfo 1", "01-attachment.txt")]
    with attachment_files(parsed) as paths:
        assert paths[0].parent.name.startswith("priorauth-fhir-")
        assert paths[0].parent.parent == Path(tempfile.gettempdir())


# ---- batch -----------------------------------------------------------------------------------

def test_batch_reviews_a_folder_of_bundles(tmp_path):
    from priorauth.batch import discover, run_batch

    root = tmp_path / "in"
    root.mkdir()
    _write(root / "pas-1.json", pas_bundle(TEXT_CASE))
    _write(root / "pas-2.json", pas_bundle(PDF_CASE, how="binary"))
    (root / "not-a-bundle.json").write_text('{"cpt": ["72131"]}')
    (root / "loose.request.json").write_text('{"cpt": ["72131"]}')  # a request file: skipped
    assert [(j.chart, j.bundle) for j in discover(root)] == [
        ("not-a-bundle.json", True), ("pas-1.json", True), ("pas-2.json", True)]
    out = tmp_path / "out.jsonl"
    summary = run_batch(root, out, workers=1)
    records = {r["chart"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert (summary.ok, len(summary.failed)) == (2, 1)
    assert records["not-a-bundle.json"]["error"].startswith("not-a-bundle.json: not a FHIR "
                                                            "Bundle")
    for chart, case in (("pas-1.json", TEXT_CASE), ("pas-2.json", PDF_CASE)):
        expected = json.loads((case / "expected.json").read_text())
        assert records[chart]["review"]["determination"] == expected["determination"]
    assert records["pas-2.json"]["review"]["documents"][0]["name"] == "Binary/bin1"


# ---- the reviewer web page ---------------------------------------------------------------------

def _web_client(data_dir: Path):
    import warnings

    from priorauth.web.app import create_app

    with warnings.catch_warnings():  # as tests/test_web_api.py: httpx works the same here
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(create_app(data_dir, allowed_hosts=["testserver"]))


def _web_review(client, files: list[tuple[str, bytes]], form: dict | None = None) -> str:
    import time

    response = client.post("/api/reviews", data=form or {},
                           files=[("files", (name, blob, "application/json"))
                                  for name, blob in files])
    assert response.status_code == 202, response.text
    review_id = response.json()["id"]
    deadline = time.monotonic() + 120
    while not (status := client.get(f"/api/reviews/{review_id}/status").json())["done"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status["status"] == "done", status
    return review_id


def test_web_page_takes_a_bundle_and_exports_fhir(tmp_path, capsys):
    from priorauth.fhir.response import render_fhir
    from priorauth.models import Review

    bundle_path = _write(tmp_path / "pas.json", pas_bundle(PDF_CASE, how="binary"))
    blob = bundle_path.read_bytes()
    from_cli = _run(capsys, "review", bundle_path, "--format", "json")[1]
    with _web_client(tmp_path / "data") as client:
        review_id = _web_review(client, [("pas.json", blob)])  # no form field filled in
        assert client.get(f"/api/reviews/{review_id}").text == from_cli
        exported = client.get(f"/api/reviews/{review_id}/fhir?download=true")
        assert exported.headers["content-type"].startswith("application/fhir+json")
        assert "attachment" in exported.headers["content-disposition"]
        Bundle.model_validate_json(exported.text)
        assert exported.text == render_fhir(Review.model_validate_json(from_cli))
        page = client.get(f"/reviews/{review_id}").text
        assert f'href="/api/reviews/{review_id}/fhir?download=true"' in page
        assert "Binary/bin1" in page
        # the form's fields override the bundle
        overridden = _web_review(client, [("pas.json", blob)], {"age": "80", "cpt": "72131"})
        request = client.get(f"/api/reviews/{overridden}").json()["request"]
        assert (request["age"], request["cpt"], request["sex"]) == (80, ["72131"], "M")
        # refused as on the command line, naming the resource
        bundle = pas_bundle(PDF_CASE)
        attachment = _doc_resource(bundle)["content"][0]["attachment"]
        attachment["url"] = "https://ehr.example/x.pdf"
        del attachment["data"]
        refused = client.post("/api/reviews", files=[
            ("files", ("url.json", json.dumps(bundle).encode(), "application/json"))])
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith("url.json: DocumentReference/doc1: "
                                                   "attachment is given by URL")
        mixed = client.post("/api/reviews", data={"cpt": "72126"}, files=[
            ("files", ("pas.json", blob, "application/json")),
            ("files", ("note.txt", b"Neck pain for two weeks.", "text/plain"))])
        assert mixed.status_code == 400
        assert "pas.json: a FHIR bundle is reviewed on its own" in mixed.json()["detail"]
        damaged = pas_bundle(PDF_CASE)
        _doc_resource(damaged)["content"][0]["attachment"]["data"] = \
            base64.b64encode(b"%PDF-1.4 truncated").decode()
        refused = client.post("/api/reviews", files=[
            ("files", ("d.json", json.dumps(damaged).encode(), "application/json"))])
        assert refused.status_code == 400
        assert refused.json()["detail"].startswith("d.json: DocumentReference/doc1: PDF is "
                                                   "damaged")
