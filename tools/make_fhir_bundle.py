"""Write a Da Vinci PAS-style request bundle for a chart folder (for demos and trials).

    .venv/bin/python tools/make_fhir_bundle.py sample_notes/01_pt_failed_pacemaker > pas.json

The folder holds ``request.json`` (cpt, request_date, age, sex) and the chart's ``.txt`` /
``.pdf`` documents, as in the gold format. The bundle is a ``collection`` with a
preauthorization ``Claim`` (CPT items, ``created`` = the request date), its ``Patient``
(gender; a birth date giving the age on the request date) and one ``DocumentReference`` per
document, inline base64, referenced from the Claim's ``supportingInfo``. Insurer, provider and
coverage are placeholders.
"""

from __future__ import annotations

import argparse
import base64
import json
from datetime import date
from pathlib import Path

CPT = "http://www.ama-assn.org/go/cpt"
BASE = "http://payer.example/fhir"


def build(folder: Path) -> dict:
    request = json.loads((folder / "request.json").read_text("utf-8"))
    documents = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".txt", ".pdf"))
    entries, supporting = [], []
    for n, path in enumerate(documents, start=1):
        pdf = path.suffix.lower() == ".pdf"
        entries.append({"fullUrl": f"{BASE}/DocumentReference/doc{n}", "resource": {
            "resourceType": "DocumentReference", "id": f"doc{n}", "status": "current",
            "content": [{"attachment": {
                "contentType": "application/pdf" if pdf else "text/plain", "title": path.name,
                "data": base64.b64encode(path.read_bytes()).decode("ascii")}}]}})
        supporting.append({"sequence": n, "category": {"coding": [{
            "system": "http://hl7.org/us/davinci-pas/CodeSystem/PASSupportingInfoType",
            "code": "additionalInformation"}]},
            "valueReference": {"reference": f"DocumentReference/doc{n}"}})
    claim = {
        "resourceType": "Claim", "id": "pa1", "status": "active", "use": "preauthorization",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                             "code": "professional"}]},
        "patient": {"reference": "Patient/pat1"}, "created": request["request_date"],
        "insurer": {"reference": "Organization/payer"},
        "provider": {"reference": "Organization/clinic"},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                           "processpriority", "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/c1"}}],
        "supportingInfo": supporting,
        "item": [{"sequence": n, "productOrService": {"coding": [{"system": CPT,
                                                                  "code": code}]}}
                 for n, code in enumerate(request["cpt"], start=1)]}
    patient: dict = {"resourceType": "Patient", "id": "pat1"}
    if request.get("sex") in ("F", "M"):
        patient["gender"] = {"F": "female", "M": "male"}[request["sex"]]
    if request.get("age") is not None and request.get("request_date"):
        year = date.fromisoformat(request["request_date"]).year - int(request["age"])
        patient["birthDate"] = f"{year}-01-01"
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"{BASE}/Claim/pa1", "resource": claim},
        {"fullUrl": f"{BASE}/Patient/pat1", "resource": patient}, *entries]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    text = json.dumps(build(args.folder), indent=1) + "\n"
    if args.output:
        args.output.write_text(text, "utf-8")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
