"""Hostile chart files, generated (never committed as binaries).

Each builder writes one file (or special file) into a folder and returns its path. Used by
``tests/test_hostile_input.py`` and by ``tools/make_hostile_corpus.py`` (a folder of them all,
to try by hand or in the web page).
"""

from __future__ import annotations

import io
import os
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

#: A short clinical note that, whole, meets the policy (to show a gate refusal is not the
#: note's fault, and to encode in other ways).
GOOD_NOTE = """\
Spine clinic note 2026-09-14
68-year-old man with low back pain radiating to the left leg since 2026-06-20, now with
left foot drop. Exam: left EHL 3/5, decreased sensation over the dorsum of the left foot,
absent left ankle reflex. He completed physical therapy 2026-07-01 to 2026-08-20, 12 visits
over 7 weeks, with no improvement. Naproxen and gabapentin did not help. He has a cardiac
pacemaker that is not MR conditional, so MRI cannot be performed. No prior lumbar imaging.
Plan: CT lumbar spine without contrast.
"""


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file from its numbered objects' bodies (object 1 is the catalog)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def _deflate(chunks: list[bytes]) -> bytes:
    packer = zlib.compressobj(9)
    return b"".join([*(packer.compress(chunk) for chunk in chunks), packer.flush()])


def _one_page_pdf(content: bytes, *, compressed: bool = True, resources: bytes = b"",
                  extra: list[bytes] | None = None) -> bytes:
    """A one-page letter PDF whose page draws ``content`` (objects 5.. are ``extra``)."""
    flate = b" /Filter /FlateDecode" if compressed else b""
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        + resources + b" >>",
        b"<< /Length %d%s >>\nstream\n" % (len(content), flate) + content + b"\nendstream",
        *(extra or []),
    ])


def operator_bomb(folder: Path, *, operators: int = 30_000_000) -> Path:
    """A one-page PDF whose content stream inflates to ``operators`` path operators
    (``0 0 m 1 1 l S``): ~816 KB on disk, 420 MB inflated at the default."""
    unit = b"0 0 m 1 1 l S\n"
    stream = _deflate([unit * 100_000] * (operators // 100_000) + [unit * (operators % 100_000)])
    path = folder / "operator_bomb.pdf"
    path.write_bytes(_one_page_pdf(stream))
    return path


def image_bomb(folder: Path, *, side: int = 40_000) -> Path:
    """A one-page PDF holding a ``side`` x ``side`` grey image (1.6 G pixels at the
    default) stored in a few KB of Flate."""
    stream = _deflate([b"\xff" * side] * side)
    image = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Length %d /Filter /FlateDecode >>\nstream\n"
             % (side, side, len(stream)) + stream + b"\nendstream")
    path = folder / "image_bomb.pdf"
    path.write_bytes(_one_page_pdf(b"q 612 0 0 792 0 0 cm /Im0 Do Q\n", compressed=False,
                                   resources=b"/Resources << /XObject << /Im0 5 0 R >> >>",
                                   extra=[image]))
    return path


def shared_image_scan(folder: Path, *, pages: int = 300) -> Path:
    """A PDF of ``pages`` scanned pages that all show one image (stored once: ~60 KB)."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(GOOD_NOTE.splitlines()):
        draw.text((40, 40 + 22 * row), line, fill=0)
    reader = ImageReader(image)
    path = folder / "shared_image_scan.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(612, 792))
    for _ in range(pages):
        pdf.drawImage(reader, 0, 0, 612, 792)
        pdf.showPage()
    pdf.save()
    return path


def elf_named_txt(folder: Path) -> Path:
    """An executable (this machine's ``ls``) named like a note."""
    path = folder / "ls.txt"
    shutil.copyfile(shutil.which("ls") or "/bin/ls", path)
    return path


def binary_noise_txt(folder: Path) -> Path:
    """Bytes without any known signature that still decode as Windows-1252."""
    path = folder / "noise.txt"
    path.write_bytes(bytes((i * 37 + 11) % 256 for i in range(20_000)).replace(b"\x00", b"\x01"))
    return path


def four_byte_note(folder: Path) -> Path:
    """A note of one word that names a red flag."""
    path = folder / "avm.txt"
    path.write_bytes(b"AVM\n")
    return path


def fifo_txt(folder: Path) -> Path:
    """A named pipe nobody writes to, named like a note."""
    path = folder / "pipe.txt"
    os.mkfifo(path)
    return path


def symlink_loop_txt(folder: Path) -> Path:
    """A symbolic link to itself."""
    path = folder / "loop.txt"
    path.symlink_to(path.name)
    return path


def utf16_without_bom(folder: Path) -> Path:
    """:data:`GOOD_NOTE` in UTF-16 little-endian with no byte-order mark."""
    path = folder / "utf16.txt"
    path.write_bytes(GOOD_NOTE.encode("utf-16-le"))
    return path


def utf16_big_endian_without_bom(folder: Path) -> Path:
    """:data:`GOOD_NOTE` in UTF-16 big-endian with no byte-order mark."""
    path = folder / "utf16be.txt"
    path.write_bytes(GOOD_NOTE.encode("utf-16-be"))
    return path


def regex_trap_note(folder: Path) -> Path:
    """A note of phrases the rules read, repeated without a break so that a pattern with
    ambiguous repetition or a search rescanning the sentence per mention would run for hours:
    "MRI is being is being ... held?" and "if pacemaker if pacemaker ..., pacemaker"."""
    path = folder / "regex_trap.txt"
    path.write_text("Clinic 10/01/2026. " + "MRI " + "is being " * 40 + "zzz. "
                    + "if pacemaker " * 450 + ", pacemaker.\n", encoding="utf-8")
    return path


#: Every file builder, by name (the CLI-flag rows of the issue are tested on their own).
BUILDERS: dict[str, Callable[[Path], Path]] = {
    "operator_bomb": operator_bomb,
    "image_bomb": image_bomb,
    "shared_image_scan": shared_image_scan,
    "elf_named_txt": elf_named_txt,
    "binary_noise_txt": binary_noise_txt,
    "four_byte_note": four_byte_note,
    "fifo_txt": fifo_txt,
    "symlink_loop_txt": symlink_loop_txt,
    "utf16_without_bom": utf16_without_bom,
    "utf16_big_endian_without_bom": utf16_big_endian_without_bom,
    "regex_trap_note": regex_trap_note,
}
