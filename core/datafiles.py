"""Hand-written word lists kept as JSON data files, checked when they are loaded.

Every list file carries two header fields: ``about`` (what the list is for)
and ``justified_by`` (the measurement that keeps it, e.g. a run of
``bench/ablate_lists.py``). A file that breaks a rule (a duplicate key, a word
mapped to itself, a key no question can contain) stops the program at import
with a :class:`DataFileError` naming the file and the entry, instead of
silently changing what the bot matches.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# What :func:`core.textnorm.words` can produce: folded letters and digits, nothing else.
FOLDED_WORD = re.compile(r"[a-z0-9]+")
HEADER_FIELDS = ("about", "justified_by")


class DataFileError(ValueError):
    """A data file is missing, malformed or breaks one of its rules; the message names the file and entry."""


def _no_duplicate_keys(path: Path):
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise DataFileError(f"{path}: key {key!r} appears twice")
            out[key] = value
        return out

    return hook


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, with duplicate keys refused.

    Raises:
        DataFileError: the file is missing, is not JSON, is not an object or repeats a key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys(path))
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: expected a JSON object at the top")
    return data


def load_list_file(path: Path) -> dict[str, Any]:
    """A list file: a JSON object whose header fields ``about`` and ``justified_by`` are filled in.

    Raises:
        DataFileError: as :func:`read_json`, or a header field is missing or empty.
    """
    data = read_json(path)
    for name in HEADER_FIELDS:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise DataFileError(f"{path}: header field {name!r} is missing or empty (say what the list is for "
                                "and what measurement justifies it)")
    return data


def word_map(data: dict[str, Any], key: str, path: Path) -> dict[str, str]:
    """``data[key]`` as a mapping from one folded word to the words it stands for.

    Raises:
        DataFileError: the section is missing, a key is not one folded word (no question
            could contain it), a value is empty, or a word is mapped to itself.
    """
    section = data.get(key)
    if not isinstance(section, dict):
        raise DataFileError(f"{path}: {key!r} must be an object of word -> words")
    for word, value in section.items():
        if not FOLDED_WORD.fullmatch(word):
            raise DataFileError(f"{path}: {key}: {word!r} is not one folded word (lower case a-z, 0-9, no accent): "
                                "questions are matched in that form, so it would never match")
        if not isinstance(value, str) or not value.strip():
            raise DataFileError(f"{path}: {key}: {word!r} maps to an empty value")
        if value.strip() == word:
            raise DataFileError(f"{path}: {key}: {word!r} is mapped to itself (an entry that changes nothing)")
    return dict(section)


def word_list(data: dict[str, Any], key: str, path: Path) -> list[str]:
    """``data[key]`` as a list of distinct, non-empty, lower-case strings.

    Raises:
        DataFileError: the section is missing, an entry is empty, not lower case, or repeated.
    """
    section = data.get(key)
    if not isinstance(section, list):
        raise DataFileError(f"{path}: {key!r} must be a list of strings")
    seen: set[str] = set()
    for entry in section:
        if not isinstance(entry, str) or not entry.strip() or entry != entry.strip():
            raise DataFileError(f"{path}: {key}: {entry!r} is not a non-empty string without outer spaces")
        if entry != entry.lower():
            raise DataFileError(f"{path}: {key}: {entry!r} is not lower case")
        if entry in seen:
            raise DataFileError(f"{path}: {key}: {entry!r} appears twice")
        seen.add(entry)
    return list(section)
