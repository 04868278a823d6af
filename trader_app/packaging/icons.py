"""The application icon: drawn from an SVG written here, rendered to PNGs, packed into .ico and .icns.

Run ``python -m trader_app.packaging.icons [OUT_DIR]`` (default ``resources/icons``) to regenerate
the committed files:

- ``trader-app.svg`` (the master drawing, 512 x 512 user units) and ``trader-app-small.svg``
  (a simplified drawing for 16..32 px, where thin strokes would blur away);
- ``trader-app-<N>.png`` for N in ``PNG_SIZES`` and ``trader-app.png`` (256 px, used by the window/tray);
- ``trader-app.ico`` (Windows): PNG-compressed images for ``ICO_SIZES``;
- ``trader-app.icns`` (macOS): PNG-based ``ic07``/``ic08``/``ic09``/``ic10`` entries.

Container formats (the pure functions below need no Qt):

- ICO: ``ICONDIR`` (reserved=0, type=1, count; little-endian u16 each) then one 16-byte ``ICONDIRENTRY``
  per image (width, height [0 means 256], colour count, reserved, planes, bit count, byte size, offset),
  then the image data. Since Windows Vista an entry's data may be a whole PNG file.
  Source: Microsoft, "Icons" (learn.microsoft.com/en-us/previous-versions/ms997538(v=msdn.10)).
- ICNS: magic ``icns`` + big-endian u32 total length, then entries of 4-byte type + big-endian u32 length
  (including the 8-byte entry header) + data. ``ic07``/``ic08``/``ic09``/``ic10`` hold PNGs of
  128/256/512/1024 px. Source: Apple Icon Image format (en.wikipedia.org/wiki/Apple_Icon_Image_format).
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ICON_SVG",
    "SMALL_ICON_SVG",
    "PNG_SIZES",
    "ICO_SIZES",
    "ICNS_TYPES",
    "IcoEntry",
    "IcnsEntry",
    "png_size",
    "render_png",
    "build_ico",
    "parse_ico",
    "build_icns",
    "parse_icns",
    "generate",
]

#: PNG sizes written to resources/icons (px, square).
PNG_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256, 512)
#: Sizes packed into the .ico (Windows shows 16/24/32/48 in lists, 256 on large-icon views).
ICO_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256)
#: ICNS entry type -> PNG size in px (128, 256, 512, and 512@2x = 1024).
ICNS_TYPES: dict[bytes, int] = {b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024}
#: At or below this size the simplified drawing is used.
SMALL_MAX = 32

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A rounded dark-blue tile, a faint grid, four rising candlesticks (green up / red down) and a gold
# trend arrow: "many accounts, one signal, up".
ICON_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#1c4f86"/>
      <stop offset="1" stop-color="#0b1e36"/>
    </linearGradient>
    <linearGradient id="gold" x1="0" y1="1" x2="1" y2="0">
      <stop offset="0" stop-color="#f5b83d"/>
      <stop offset="1" stop-color="#ffe08a"/>
    </linearGradient>
  </defs>
  <rect x="16" y="16" width="480" height="480" rx="104" ry="104" fill="url(#bg)"/>
  <rect x="16" y="16" width="480" height="480" rx="104" ry="104" fill="none"
        stroke="#ffffff" stroke-opacity="0.18" stroke-width="6"/>
  <g stroke="#ffffff" stroke-opacity="0.08" stroke-width="4">
    <line x1="64" y1="160" x2="448" y2="160"/>
    <line x1="64" y1="256" x2="448" y2="256"/>
    <line x1="64" y1="352" x2="448" y2="352"/>
  </g>
  <g stroke-width="10" stroke-linecap="round">
    <line x1="128" y1="300" x2="128" y2="420" stroke="#2bbf8f"/>
    <rect x="100" y="322" width="56" height="76" rx="8" fill="#2bbf8f"/>
    <line x1="212" y1="262" x2="212" y2="392" stroke="#ef5350"/>
    <rect x="184" y="286" width="56" height="78" rx="8" fill="#ef5350"/>
    <line x1="296" y1="196" x2="296" y2="356" stroke="#2bbf8f"/>
    <rect x="268" y="220" width="56" height="110" rx="8" fill="#2bbf8f"/>
    <line x1="380" y1="120" x2="380" y2="292" stroke="#2bbf8f"/>
    <rect x="352" y="146" width="56" height="118" rx="8" fill="#2bbf8f"/>
  </g>
  <polyline points="84,300 190,238 262,262 400,124" fill="none" stroke="url(#gold)"
            stroke-width="26" stroke-linecap="round" stroke-linejoin="round"/>
  <polygon points="436,88 446,196 334,108" fill="#ffe08a"/>
</svg>
"""

# The same idea with three fat candles and a thick arrow: legible at 16 px.
SMALL_ICON_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">
  <rect x="0.5" y="0.5" width="31" height="31" rx="6" ry="6" fill="#14406e"/>
  <rect x="5" y="19" width="5" height="8" fill="#2bbf8f"/>
  <rect x="13.5" y="15" width="5" height="9" fill="#ef5350"/>
  <rect x="22" y="9" width="5" height="14" fill="#2bbf8f"/>
  <polyline points="4,18 12,12 17,14 25,6" fill="none" stroke="#ffd25c"
            stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/>
  <polygon points="28,3 28.5,10.5 21,4" fill="#ffd25c"/>
</svg>
"""


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in px of a PNG file's bytes, read from its IHDR chunk.

    Raises ``ValueError`` if ``data`` is not a PNG (wrong signature or first chunk not IHDR).
    Source: PNG specification, section 11.2.2 (IHDR is the first chunk; width, height big-endian u32).
    """
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image (bad signature or missing IHDR)")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def render_png(size: int, svg: str | None = None) -> bytes:
    """Render the icon SVG to a ``size`` x ``size`` ARGB PNG and return the file bytes.

    ``svg`` defaults to ``SMALL_ICON_SVG`` for ``size <= SMALL_MAX`` and ``ICON_SVG`` above.
    Needs PySide6 (QtSvg); a ``QApplication`` is created if none exists (offscreen is fine; a widgets
    application, so code that later needs widgets in the same process still works).
    Raises ``ValueError`` for ``size < 1`` or an SVG Qt cannot parse.
    """
    if size < 1:
        raise ValueError(f"icon size must be >= 1 px, got {size}")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:  # QPainter on a QImage wants a GUI application
        _make_app()
    source = svg if svg is not None else (SMALL_ICON_SVG if size <= SMALL_MAX else ICON_SVG)
    renderer = QSvgRenderer(QByteArray(source.encode("utf-8")))
    if not renderer.isValid():
        raise ValueError("the icon SVG could not be parsed")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.convertToFormat(QImage.Format.Format_ARGB32).save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode the icon as PNG")
    return bytes(buffer.data())


_APP = None


def _make_app():
    global _APP
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    _APP = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "icons"])
    return _APP


@dataclass(frozen=True)
class IcoEntry:
    """One ``ICONDIRENTRY``: ``width``/``height`` in px (256 decoded from the stored 0), ``bit_count``,
    ``size`` (bytes) and ``offset`` (bytes from the file start) of the image data, and ``data``."""

    width: int
    height: int
    bit_count: int
    size: int
    offset: int
    data: bytes


def build_ico(pngs: dict[int, bytes]) -> bytes:
    """Pack PNG images (px size -> PNG bytes) into an ICO file, smallest first.

    Raises ``ValueError`` if a size is outside 1..256, an image is not a PNG, or its pixel size
    does not match its key (the directory would lie about it).
    """
    if not pngs:
        raise ValueError("an ICO needs at least one image")
    sizes = sorted(pngs)
    for s in sizes:
        if not 1 <= s <= 256:
            raise ValueError(f"ICO images are 1..256 px, got {s}")
        if png_size(pngs[s]) != (s, s):
            raise ValueError(f"image for {s} px is {png_size(pngs[s])}")
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = [], []
    for s in sizes:
        data = pngs[s]
        dim = 0 if s == 256 else s
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset))
        blobs.append(data)
        offset += len(data)
    return header + b"".join(entries) + b"".join(blobs)


def parse_ico(data: bytes) -> list[IcoEntry]:
    """Read an ICO file's directory back. Raises ``ValueError`` on a bad header or out-of-range entry."""
    if len(data) < 6:
        raise ValueError("ICO file too short")
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1 or count == 0:
        raise ValueError(f"not an ICO icon (reserved={reserved}, type={kind}, count={count})")
    if len(data) < 6 + 16 * count:
        raise ValueError("ICO directory truncated")
    out = []
    for i in range(count):
        w, h, _colors, _res, _planes, bits, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        if offset + size > len(data):
            raise ValueError(f"ICO entry {i} points past the end of the file")
        out.append(IcoEntry(w or 256, h or 256, bits, size, offset, data[offset:offset + size]))
    return out


@dataclass(frozen=True)
class IcnsEntry:
    """One ICNS element: 4-byte ``kind`` (e.g. ``b"ic08"``), ``length`` including its 8-byte header, ``data``."""

    kind: bytes
    length: int
    data: bytes


def build_icns(pngs: dict[int, bytes]) -> bytes:
    """Pack PNGs into an ICNS file with one ``ic07``..``ic10`` entry per size present in ``pngs``.

    ``pngs`` maps px size -> PNG bytes; sizes other than 128/256/512/1024 are ignored.
    Raises ``ValueError`` if none of those sizes is present or an image's pixel size is wrong.
    """
    body = []
    for kind, s in ICNS_TYPES.items():
        if s not in pngs:
            continue
        if png_size(pngs[s]) != (s, s):
            raise ValueError(f"image for {s} px is {png_size(pngs[s])}")
        body.append(kind + struct.pack(">I", 8 + len(pngs[s])) + pngs[s])
    if not body:
        raise ValueError("an ICNS needs at least one of 128/256/512/1024 px")
    payload = b"".join(body)
    return b"icns" + struct.pack(">I", 8 + len(payload)) + payload


def parse_icns(data: bytes) -> list[IcnsEntry]:
    """Read an ICNS file's entries back. Raises ``ValueError`` on a bad magic, length or entry."""
    if len(data) < 8 or data[:4] != b"icns":
        raise ValueError("not an ICNS file")
    (total,) = struct.unpack(">I", data[4:8])
    if total != len(data):
        raise ValueError(f"ICNS header says {total} bytes, file has {len(data)}")
    pos, out = 8, []
    while pos < total:
        if pos + 8 > total:
            raise ValueError("ICNS entry header truncated")
        kind = data[pos:pos + 4]
        (length,) = struct.unpack(">I", data[pos + 4:pos + 8])
        if length < 8 or pos + length > total:
            raise ValueError(f"ICNS entry {kind!r} has bad length {length}")
        out.append(IcnsEntry(kind, length, data[pos + 8:pos + length]))
        pos += length
    return out


def generate(out_dir: Path | str) -> list[Path]:
    """Render every icon file into ``out_dir`` (created if missing) and return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_TYPES.values()))
    pngs = {s: render_png(s) for s in sizes}
    written = []

    def write(name: str, data: bytes | str) -> None:
        path = out / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        written.append(path)

    write("trader-app.svg", ICON_SVG)
    write("trader-app-small.svg", SMALL_ICON_SVG)
    for s in PNG_SIZES:
        write(f"trader-app-{s}.png", pngs[s])
    write("trader-app.png", pngs[256])
    write("trader-app.ico", build_ico({s: pngs[s] for s in ICO_SIZES}))
    write("trader-app.icns", build_icns(pngs))
    return written


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m trader_app.packaging.icons [OUT_DIR]``; prints each file written with its size."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[2]
    out_dir = Path(args[0]) if args else root / "resources" / "icons"
    for path in generate(out_dir):
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
