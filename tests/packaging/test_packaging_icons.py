"""The committed icon files parse back (ICO directory, ICNS header/entries, PNG sizes) and the
container writers round-trip; the .desktop file names the icon and the executable."""

from __future__ import annotations

import configparser
import struct
from pathlib import Path

import pytest

from trader_app.packaging.icons import (
    ICNS_TYPES,
    ICO_SIZES,
    PNG_SIZES,
    build_icns,
    build_ico,
    parse_icns,
    parse_ico,
    png_size,
    render_png,
)

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"


def fake_png(size: int, payload: bytes = b"") -> bytes:
    """Signature + IHDR chunk claiming ``size`` x ``size``: enough for the container code, which never decodes."""
    ihdr = struct.pack(">II5B", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0" + payload


def test_committed_ico_has_every_size_as_png():
    data = (ICONS / "trader-app.ico").read_bytes()
    assert struct.unpack("<HHH", data[:6]) == (0, 1, 7)
    entries = parse_ico(data)
    assert [(e.width, e.height) for e in entries] == [(s, s) for s in ICO_SIZES]
    assert ICO_SIZES == (16, 24, 32, 48, 64, 128, 256)
    assert data[6 + 16 * 6] == 0  # 256 px is stored as 0 in the directory
    assert all(e.bit_count == 32 for e in entries)
    assert entries[0].offset == 6 + 16 * 7
    for before, after in zip(entries, entries[1:]):
        assert after.offset == before.offset + before.size  # contiguous, no gaps or overlaps
    assert entries[-1].offset + entries[-1].size == len(data)
    for e in entries:
        assert png_size(e.data) == (e.width, e.height)


def test_committed_icns_header_length_and_entries():
    data = (ICONS / "trader-app.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    entries = parse_icns(data)
    assert [e.kind for e in entries] == [b"ic07", b"ic08", b"ic09", b"ic10"]
    assert 8 + sum(e.length for e in entries) == len(data)
    for e in entries:
        assert e.length == len(e.data) + 8
        assert png_size(e.data) == (ICNS_TYPES[e.kind],) * 2
    assert [ICNS_TYPES[e.kind] for e in entries] == [128, 256, 512, 1024]


def test_committed_pngs_have_their_named_sizes():
    for s in PNG_SIZES:
        assert png_size((ICONS / f"trader-app-{s}.png").read_bytes()) == (s, s)
    assert png_size((ICONS / "trader-app.png").read_bytes()) == (256, 256)
    assert (ICONS / "trader-app.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_ico_writer_layout_exact():
    pngs = {32: fake_png(32, b"x" * 10), 16: fake_png(16), 256: fake_png(256, b"yy")}
    data = build_ico(pngs)
    entries = parse_ico(data)
    assert [(e.width, e.size, e.offset) for e in entries] == [
        (16, 33, 54), (32, 43, 87), (256, 35, 130)]
    assert len(data) == 165
    assert data[6:10] == bytes([16, 16, 0, 0])
    assert data[6 + 32:6 + 34] == bytes([0, 0])  # 256 -> 0
    assert [e.data for e in entries] == [pngs[16], pngs[32], pngs[256]]


def test_ico_writer_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        build_ico({})
    with pytest.raises(ValueError, match="1..256"):
        build_ico({512: fake_png(512)})
    with pytest.raises(ValueError, match="image for 32 px"):
        build_ico({32: fake_png(16)})
    with pytest.raises(ValueError, match="not a PNG"):
        build_ico({16: b"GIF89a" + b"\0" * 30})


def test_ico_parser_rejects_garbage():
    with pytest.raises(ValueError):
        parse_ico(b"\0\0\2\0\1\0")  # type 2 = cursor
    with pytest.raises(ValueError, match="truncated"):
        parse_ico(struct.pack("<HHH", 0, 1, 2))
    bad = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, 100, 22)
    with pytest.raises(ValueError, match="past the end"):
        parse_ico(bad)


def test_icns_writer_layout_exact():
    pngs = {128: fake_png(128), 256: fake_png(256, b"abc"), 48: fake_png(48)}  # 48 has no PNG-icns type
    data = build_icns(pngs)
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data) == 8 + (8 + 33) + (8 + 36)
    entries = parse_icns(data)
    assert [(e.kind, e.length) for e in entries] == [(b"ic07", 41), (b"ic08", 44)]
    with pytest.raises(ValueError, match="at least one"):
        build_icns({16: fake_png(16)})
    with pytest.raises(ValueError, match="bytes"):
        parse_icns(data + b"\0")
    with pytest.raises(ValueError, match="not an ICNS"):
        parse_icns(b"icon" + data[4:])


def test_render_png_sizes_offscreen(qapp):
    for s in (16, 48):
        data = render_png(s)
        assert png_size(data) == (s, s)
    with pytest.raises(ValueError):
        render_png(0)
    with pytest.raises(ValueError, match="could not be parsed"):
        render_png(16, svg="<not svg")


def test_desktop_file():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "resources" / "trader-app.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Trader App"
    assert entry["Exec"] == "trader-app"
    assert entry["Icon"] == "trader-app"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and "Finance" in entry["Categories"].split(";")
    assert (ICONS / f"{entry['Icon']}.png").is_file()
