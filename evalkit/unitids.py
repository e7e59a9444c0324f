"""Unit ids as text, and the file names derived from them.

A unit id is any text that cannot be read as a path: no ``/``, ``\\``, NUL or
other control character, no leading dot, no ``..``, not empty.  Chinese names
(``江苏省``) are fine ids.  File names are derived from ids so that they stay
safe on every file system, unique and stable from run to run:

* an id that is already a safe ASCII name (``320500``, ``CHN``, ``a_b-1.2``) is its
  own file name, so existing outputs keep their names;
* any other id becomes an ASCII slug of it plus the first 8 hex digits of the
  SHA-256 of the id (``江苏省`` -> ``u-4b1c1f2e``, ``São Paulo`` -> ``Sao-Paulo-1f0e…``),
  unique because the hash is of the whole id and stable because nothing else enters it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
RESERVED_UNIT_IDS = ("index", "region", "robustness")
_BAD_CHARS_RE = re.compile(r"[/\\\x00-\x1f\x7f]")
MAX_ID_LENGTH = 200


def unit_label(name: str, uid: object) -> str:
    """'苏州 320500': a unit named with its id, never by its name alone; a unit whose name is its id (or that has
    no name) is written once."""
    return f"{name} {uid}" if name and name != str(uid) else str(uid)


def id_problem(uid: str) -> str | None:
    """Why ``uid`` cannot be a unit id, or None when it can."""
    if uid == "":
        return "is empty"
    if len(uid) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    bad = _BAD_CHARS_RE.search(uid)
    if bad:
        ch = bad.group()
        shown = {"/": "'/'", "\\": "'\\'"}.get(ch, f"control character U+{ord(ch):04X}")
        return f"holds {shown} (ids become file names; no '/', '\\', control characters)"
    if uid.startswith("."):
        return "starts with '.' (ids become file names; a leading dot hides the file)"
    if ".." in uid:
        return "holds '..' (ids become file names)"
    if uid.lower() in RESERVED_UNIT_IDS:
        return f"is reserved for report pages ({', '.join(RESERVED_UNIT_IDS)}): choose another id"
    return None


def unit_file_stem(uid: str) -> str:
    """The file name (without extension) of a unit's pages: the id itself when it is a safe ASCII
    name, else ``<ascii slug>-<8 hex of sha256(id)>`` (``u-<hash>`` when nothing ASCII is left)."""
    if SAFE_NAME_RE.match(uid) and ".." not in uid and uid.lower() not in RESERVED_UNIT_IDS:
        return uid
    ascii_ = unicodedata.normalize("NFKD", uid).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-")[:40].strip("-") or "u"
    return f"{slug}-{hashlib.sha256(uid.encode('utf-8')).hexdigest()[:8]}"
