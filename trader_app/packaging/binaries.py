"""Pruning shared libraries from a PyInstaller ``a.binaries`` list (used by ``build.spec`` on Linux).

PyInstaller copies every library a collected binary links, transitively. Qt's GTK3 platform-theme
plugin (``libqgtk3.so``) links GTK, GDK, ATK, cairo, pango and gdk-pixbuf, so a build machine with GTK
installed would ship its own GTK stack inside the bundle. ``prune_only_needed_by`` drops a plugin and
every library reachable *only* through it, keeping anything another bundled binary still links.

ELF reading follows the System V ABI / ELF-64 Object File Format: the section header table
(``e_shoff``, ``e_shentsize``, ``e_shnum``), the ``SHT_DYNAMIC`` section, its ``DT_NEEDED`` entries as
offsets into the string table named by the section's ``sh_link``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Sequence

__all__ = ["elf_needed", "prune_only_needed_by"]

_ELF_MAGIC = b"\x7fELF"
_SHT_DYNAMIC = 6
_DT_NULL = 0
_DT_NEEDED = 1


def elf_needed(path: str | os.PathLike[str]) -> list[str]:
    """The ``DT_NEEDED`` names (sonames such as ``"libc.so.6"``) of an ELF file, in file order.

    Returns ``[]`` for a file that is not ELF, has no section headers or no dynamic section.
    Raises ``OSError`` if the file cannot be read and ``ValueError`` if its tables point outside it.
    """
    with open(path, "rb") as fh:
        ident = fh.read(16)
        if len(ident) < 16 or ident[:4] != _ELF_MAGIC:
            return []
        is64 = ident[4] == 2
        end = "<" if ident[5] == 1 else ">"
        if is64:
            head = fh.read(48)
            shoff = struct.unpack_from(end + "Q", head, 0x28 - 16)[0]
            shentsize, shnum = struct.unpack_from(end + "HH", head, 0x3A - 16)
            sh_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
        else:
            head = fh.read(36)
            shoff = struct.unpack_from(end + "I", head, 0x20 - 16)[0]
            shentsize, shnum = struct.unpack_from(end + "HH", head, 0x2E - 16)
            sh_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
        if shoff == 0 or shnum == 0:
            return []
        size = os.fstat(fh.fileno()).st_size
        if shoff + shnum * shentsize > size or shentsize < struct.calcsize(sh_fmt):
            raise ValueError(f"{path}: section header table outside the file")
        fh.seek(shoff)
        table = fh.read(shnum * shentsize)
        sections = [struct.unpack_from(sh_fmt, table, i * shentsize) for i in range(shnum)]
        names: list[str] = []
        for sec in sections:
            sh_type, sh_offset, sh_size, sh_link = sec[1], sec[4], sec[5], sec[6]
            if sh_type != _SHT_DYNAMIC:
                continue
            if sh_link >= shnum:
                raise ValueError(f"{path}: dynamic section links a missing string table")
            str_off, str_size = sections[sh_link][4], sections[sh_link][5]
            if sh_offset + sh_size > size or str_off + str_size > size:
                raise ValueError(f"{path}: dynamic section outside the file")
            fh.seek(sh_offset)
            dyn = fh.read(sh_size)
            fh.seek(str_off)
            strtab = fh.read(str_size)
            step = struct.calcsize(dyn_fmt)
            for pos in range(0, len(dyn) - step + 1, step):
                tag, val = struct.unpack_from(dyn_fmt, dyn, pos)
                if tag == _DT_NULL:
                    break
                if tag == _DT_NEEDED:
                    stop = strtab.find(b"\0", val)
                    names.append(strtab[val:stop if stop >= 0 else None].decode("utf-8", "replace"))
        return names


def _needed_or_empty(src: str) -> list[str]:
    try:
        return elf_needed(src) if os.path.isfile(src) else []
    except (OSError, ValueError):
        return []


def prune_only_needed_by(
    entries: Iterable[Sequence[str]],
    drop: Callable[[str], bool],
    needed_of: Callable[[str], list[str]] = _needed_or_empty,
) -> set[str]:
    """Destination names to remove: the entries ``drop`` selects plus the libraries only they need.

    ``entries`` are PyInstaller TOC rows ``(dest_name, src_name, typecode)`` (only the first two are
    read); ``drop(dest_name) -> bool`` picks the roots to remove (e.g. the GTK theme plugin);
    ``needed_of(src_name) -> [soname, ...]`` gives a binary's direct dependencies (default: ``elf_needed``,
    ``[]`` for unreadable or non-ELF files). A dependency is matched to entries by the base name of
    their destination. A library reachable from a dropped root is kept if any binary that is kept
    needs it, directly or through other kept libraries.
    """
    rows = [(str(e[0]), str(e[1])) for e in entries]
    by_base: dict[str, list[str]] = {}
    for dest, _src in rows:
        by_base.setdefault(dest.replace("\\", "/").rsplit("/", 1)[-1], []).append(dest)
    needed = {dest: needed_of(src) for dest, src in rows}

    roots = {dest for dest, _src in rows if drop(dest)}
    reach: set[str] = set()
    stack = list(roots)
    while stack:
        for name in needed.get(stack.pop(), ()):
            for dep in by_base.get(name, ()):
                if dep not in reach and dep not in roots:
                    reach.add(dep)
                    stack.append(dep)

    kept = [dest for dest, _src in rows if dest not in reach and dest not in roots]
    stack = list(kept)
    while stack:
        for name in needed.get(stack.pop(), ()):
            for dep in by_base.get(name, ()):
                if dep in reach:
                    reach.discard(dep)
                    stack.append(dep)
    return roots | reach
