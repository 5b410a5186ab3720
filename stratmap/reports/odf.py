"""The OpenDocument files: the .xlsx and .pptx stratmap makes, converted by LibreOffice.

Taiwan's rule for government sites is that an editable file offered for download is ODF (.ods, .odp).
The files are converted, not written a second time: LibreOffice reads our .xlsx and .pptx (the same
formulas, data validations, frozen panes and slide layout Excel and PowerPoint read) and writes them as
its own, so what opens in LibreOffice is LibreOffice's reading of the file everyone else gets, and there
is one writer of each report to keep. A conversion costs seconds, so only the background worker calls
:func:`convert` (``stratmap.reports.jobs``), never a request.

Each conversion runs ``soffice --headless`` with a profile of its own in a temporary folder (two at once
with one profile wait on each other's lock, or fail), under a time limit, with the project's fontconfig
file so that the deck's Microsoft JhengHei is drawn with Noto Sans CJK TC (``fonts.conf``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: The fontconfig file that maps the deck's Windows face onto Noto Sans CJK TC.
FONTS_CONF = Path(__file__).with_name("fonts.conf")
#: Seconds a conversion may take: the city's deck converts in about 5 s on one core; the first start of a
#: fresh profile adds two or three.
TIMEOUT = 120
#: LibreOffice's export filters, by the target's extension.
FILTERS = {"ods": "ods:calc8", "odp": "odp:impress8", "xlsx": "xlsx:Calc MS Excel 2007 XML", "pdf": "pdf"}


class ConversionError(RuntimeError):
    """LibreOffice could not convert a file; the message says why."""


def soffice() -> str | None:
    """LibreOffice's command, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, source: str, target: str, *, timeout: float = TIMEOUT) -> bytes:
    """``data``, a file of the extension ``source`` (xlsx, pptx, ods…), as a file of the extension ``target``
    (ods, odp, xlsx, pdf)."""
    command = soffice()
    if command is None:
        raise ConversionError("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui "
                              "libreoffice-impress-nogui")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="stratmap-odf-") as folder:
        work = Path(folder)
        path = work / f"file.{source}"
        path.write_bytes(data)
        out = work / "out"
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF), "HOME": folder}
        try:
            done = subprocess.run(
                [command, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                 "--nolockcheck", "--convert-to", FILTERS.get(target, target), "--outdir", str(out), str(path)],
                capture_output=True, timeout=timeout, env=env, check=False, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ConversionError(
                f"LibreOffice did not convert the .{source} file to .{target} in {timeout:.0f} s"
            ) from None
        result = out / f"file.{target}"
        if not result.is_file():
            said = (done.stderr or done.stdout).decode(errors="replace").strip()[-500:]
            raise ConversionError(f"LibreOffice did not convert the .{source} file to .{target} "
                                  f"(exit {done.returncode}): {said or 'it said nothing'}")  # fmt: skip
        return result.read_bytes()
