"""Build a SentencePiece *precompiled charsmap* from a per-codepoint normalisation map.

Why: `tokenizers`' ``Precompiled`` normaliser is the only fast way to express a 4,837-entry
character map inside ``tokenizer.json`` (one ``Replace`` per entry would rescan each text thousands
of times). ``Precompiled`` reads SentencePiece's binary format: a little-endian ``u32`` with the byte
size of a darts-clone double-array trie, the trie's ``u32`` units, then the NUL-terminated
replacement strings. The trie maps the UTF-8 bytes of a source string to the offset of its
replacement. This module writes that format; :func:`lookup` reads it back (used by the tests and as
the reference the Rust reader implements).

darts-clone unit layout (``darts.h``): ``label = unit & (1<<31 | 0xFF)``, ``has_leaf = unit >> 8 & 1``,
``offset = (unit >> 10) << ((unit & 1<<9) >> 6)``, a value unit is ``value | 1<<31``. A node's children
sit at ``base ^ label`` where ``base = position ^ offset``; its value (the key terminator, label 0)
sits at ``base``. Every base is used by one node only, so a lookup can never walk into a sibling
node's child.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

_VALUE_FLAG = 1 << 31
_HAS_LEAF = 1 << 8
_MAX_OFFSET = 1 << 21  # offsets below this are stored directly (no extension bit needed)


def build_precompiled_charsmap(mapping: Mapping[str, str]) -> bytes:
    """Serialise ``mapping`` (source string -> replacement, ``""`` deletes) as a precompiled charsmap."""
    # Replacement strings, NUL-terminated; identical replacements share storage.
    normalized = bytearray()
    value_of: dict[str, int] = {}
    trie: dict = {}
    for source, target in sorted(mapping.items()):
        if not source:
            raise ValueError("the empty string cannot be a charsmap key")
        if "\0" in target or "\0" in source:
            raise ValueError("charsmap strings cannot contain NUL")
        if target not in value_of:
            value_of[target] = len(normalized)
            normalized += target.encode("utf-8") + b"\0"
        node = trie
        for byte in source.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = value_of[target]  # None marks "a key ends here"
    units = _build_double_array(trie)
    trie_bytes = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(normalized)


def _build_double_array(trie: dict) -> list[int]:
    units: list[int] = [0]
    used_slots = {0}
    used_bases: set[int] = set()
    first_free = 1
    queue: list[tuple[dict, int]] = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(k for k in node if k is not None)
        needed = ([0] if None in node else []) + labels
        if not needed:
            continue
        # First fit: scan free slots for the smallest label; derive the base from it.
        while first_free in used_slots:
            first_free += 1
        candidate = first_free
        while True:
            if candidate not in used_slots:
                base = candidate ^ needed[0]
                if (
                    base != pos
                    and base not in used_bases
                    and all((base ^ label) not in used_slots for label in needed)
                ):
                    break
            candidate += 1
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("charsmap too large for direct darts offsets")
        used_bases.add(base)
        top = max(base ^ label for label in needed)
        if top >= len(units):
            units.extend([0] * (top + 1 - len(units)))
        units[pos] |= offset << 10
        if None in node:
            units[pos] |= _HAS_LEAF
            units[base] = node[None] | _VALUE_FLAG
            used_slots.add(base)
        for label in labels:
            child_pos = base ^ label
            units[child_pos] = label
            used_slots.add(child_pos)
            queue.append((node[label], child_pos))
    # Pad so that base ^ any byte stays inside the array: readers index it without bounds checks.
    size = max((base | 0xFF for base in used_bases), default=0xFF) + 1
    units.extend([0] * (size - len(units)))
    return units


def lookup(charsmap: bytes, key: str) -> list[str]:
    """Replacements of every prefix of ``key`` found in ``charsmap``, shortest first (darts'
    ``commonPrefixSearch``, as SentencePiece and `tokenizers` call it)."""
    (trie_size,) = struct.unpack_from("<I", charsmap, 0)
    units = struct.unpack_from(f"<{trie_size // 4}I", charsmap, 4)
    normalized = charsmap[4 + trie_size :]

    def offset(unit: int) -> int:
        return (unit >> 10) << ((unit & (1 << 9)) >> 6)

    results = []
    pos = offset(units[0])
    for byte in key.encode("utf-8"):
        pos ^= byte
        if pos >= len(units):
            break
        unit = units[pos]
        if unit & (_VALUE_FLAG | 0xFF) != byte:
            break
        pos ^= offset(unit)
        if unit & _HAS_LEAF:
            start = units[pos] & ~_VALUE_FLAG
            end = normalized.index(b"\0", start)
            results.append(normalized[start:end].decode("utf-8"))
    return results
