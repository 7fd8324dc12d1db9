"""Read a PDF in a child process under memory, CPU and wall-clock limits.

A PDF's content streams decide how much work PDFium does: an 816 KB file can inflate to 30
million path operators and take minutes and gigabytes to parse. Nothing in the file says so
before it is parsed, so every PDF is first opened here, in a child process that sets its own
``RLIMIT_AS`` and ``RLIMIT_CPU`` before reading a byte, while the parent waits with a
wall-clock timeout. The child counts each page's objects and each image's pixels, extracts the
text layer and decides which pages are scans; the parent keeps that result and only opens the
PDF itself again for pages that passed these limits (OCR rendering, evidence boxes, page
images), so what it renders is bounded.

Protocol (private to :func:`priorauth.extract.gate.read_pdf_layout`): stdin carries one line of
JSON options then the PDF's bytes; stdout carries one JSON object, either the layout
(``{"pages": [...]}``) or a refusal (``{"refused": "..."}``; the message names pages and
numbers, never text). Any other ending (killed by a limit, crashed) is the parent's to word.
"""

from __future__ import annotations

import json
import sys

#: Exit status of a child that ran out of memory in Python code.
OUT_OF_MEMORY = 3


def _objects(page, cap: int) -> int:
    """Objects on the page, counting those inside form XObjects, stopping past ``cap``."""
    import pypdfium2.raw as pdfium_c

    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    if count > cap:
        return count
    todo = [pdfium_c.FPDFPage_GetObject(page.raw, i) for i in range(count)]
    while todo and count <= cap:
        obj = todo.pop()
        if pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_FORM:
            inner = pdfium_c.FPDFFormObj_CountObjects(obj)
            count += max(0, inner)
            if count <= cap:
                todo.extend(pdfium_c.FPDFFormObj_GetObject(obj, i) for i in range(inner))
    return count


def _largest_image(page) -> int:
    """Pixels of the largest image on the page (as stored, before scaling)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    largest = 0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        width, height = ctypes.c_uint(0), ctypes.c_uint(0)
        if pdfium_c.FPDFImageObj_GetImagePixelSize(obj.raw, width, height):
            largest = max(largest, width.value * height.value)
    return largest


def read_layout(data: bytes, options: dict) -> dict:
    """The layout of a PDF: per page its text, displayed size, scan flag and object count."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    from priorauth.extract.pdf import displayed_size, get_engine, is_scan

    raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    if not raw:
        return {"load_error": int(pdfium_c.FPDF_GetLastError())}
    pdf = pdfium.PdfDocument(raw)
    count = len(pdf)
    if count == 0:
        return {"refused": "PDF has no pages"}
    if count > options["max_pages"]:
        return {"refused": f"PDF has {count:,} pages, more than the limit of "
                           f"{options['max_pages']:,}; split it into smaller files"}
    pages = []
    for index in range(count):
        page = pdf[index]
        try:
            objects = _objects(page, options["max_page_objects"])
            if objects > options["max_page_objects"]:
                return {"refused": f"page {index + 1} has over "
                                   f"{options['max_page_objects']:,} drawing objects "
                                   "(the limit); it cannot be a page of clinical notes"}
            pixels = _largest_image(page)
            if pixels > options["max_image_pixels"]:
                return {"refused": f"page {index + 1} holds an image of {pixels:,} pixels, "
                                   f"more than the limit of {options['max_image_pixels']:,}"}
            pages.append({"size": list(displayed_size(page)), "objects": objects})
        finally:
            page.close()
    texts = get_engine(options["engine"]).page_texts(pdf, data)
    if len(texts) != count:
        return {"damaged": True}
    for index, (text, entry) in enumerate(zip(texts, pages, strict=True)):
        if len(text) > options["max_page_chars"]:
            return {"refused": f"page {index + 1} has {len(text):,} characters, more than the "
                               f"limit of {options['max_page_chars']:,}"}
        entry["text"] = text
        entry["scan"] = is_scan(pdf, index, text)
    pdf.close()
    return {"pages": pages}


def main() -> int:
    """Read options and a PDF from stdin, write its layout as JSON to stdout."""
    from priorauth.extract.lifetime import start_limited_child

    options, data = start_limited_child()
    try:
        result = read_layout(data, options)
    except MemoryError:
        return OUT_OF_MEMORY
    except Exception:  # PDFium or pdfminer on a malformed file
        result = {"damaged": True}
    sys.stdout.write(json.dumps(result, ensure_ascii=True))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
