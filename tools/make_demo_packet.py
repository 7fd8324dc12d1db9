"""Write a demo fax packet, as a payer receives one, to show the packet alerts.

    .venv/bin/python tools/make_demo_packet.py /tmp/packet.pdf
    .venv/bin/priorauth review /tmp/packet.pdf --cpt 72131 --request-date 2026-10-14 \\
        --dob 1968-02-03 --patient-name "John Sample"

Five scanned pages at fax resolution (no text layer): a cover sheet announcing six pages and
listing an MRI report, the office note, a therapy discharge summary fed upside down, a blank
page, and a device-clinic note of another patient. Deterministic: same bytes every time.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from faxes import write_fax_pdf  # noqa: E402

COVER = ["FAX COVER SHEET", "", "TO: Utilization Management       FROM: Lakeside Spine",
         "Date: 10/13/2026", "Number of pages (including cover): 6",
         "Enclosed: office note, physical therapy discharge summary, MRI report",
         "RE: prior authorization, CT lumbar spine (72131)"]
NOTE = ["LAKESIDE SPINE - OFFICE NOTE            Date of service: 10/02/2026",
        "Patient: SAMPLE, JOHN Q       DOB: 02/03/1968       MRN: 4471203",
        "",
        "HPI: 58 yo M with new onset low back pain radiating down the left leg since early",
        "June 2026. No fall, injury or other trauma. Naproxen 500 mg BID since early July",
        "without relief. Physical therapy completed, see discharge summary.",
        "Exam: SLR positive on the left at 40 degrees. Strength 5/5. Reflexes 2+.",
        "Imaging: lumbar radiographs 07/08/2026 normal. No prior MRI or CT of the spine.",
        "Assessment: new onset left lumbar radiculopathy, failed conservative care.",
        "Plan: CT lumbar spine without contrast. MRI safety screening to be completed."]
THERAPY = ["LAKESIDE PHYSICAL THERAPY - DISCHARGE SUMMARY",
           "Patient: SAMPLE, JOHN Q     DOB: 02/03/1968",
           "Dates of care: 07/27/2026 to 09/21/2026, 14 visits over 8 weeks.",
           "Goals not met. Plateaued with no meaningful improvement in pain.",
           "Discharged to home exercise program."]
OTHER = ["CARDIOLOGY DEVICE CLINIC        Date: 09/15/2026",
         "Patient: SAMPLES, JOAN P.      DOB: 07/11/1941",
         "Dual-chamber pacemaker with abandoned leads, not MR conditional.",
         "MRI is contraindicated with this system."]


def main(out: str) -> None:
    write_fax_pdf(Path(out), [COVER, NOTE, THERAPY, [], OTHER], turned=[0, 0, 180, 0, 0],
                  speckle=0.0003)
    print(out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "packet.pdf")
