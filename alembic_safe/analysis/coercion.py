"""Which ALTER COLUMN TYPE changes PostgreSQL makes without rewriting the table.

A change is rewrite-free when the new type is binary coercible from the old one and its
modifier only widens: ``varchar(n)`` to a longer, unbounded ``varchar`` or ``text``,
``numeric(p,s)`` to ``numeric(p2>=p,s)`` or unconstrained ``numeric``, ``bit varying``
likewise, ``cidr`` to ``inet``, a higher time precision. ``timestamp`` <-> ``timestamptz``
is rewrite-free only when the session TimeZone is UTC, which a linter cannot know: treated as
a rewrite.
"""

from __future__ import annotations

_UNBOUNDED_TEXT = ("text", "character varying")
_TIMES = ("timestamp without time zone", "timestamp with time zone", "time without time zone")


def split_type(name: str) -> tuple[str, tuple[int, ...]]:
    """``character varying(20)`` -> (``character varying``, (20,)); arrays keep ``[]``."""
    name = name.strip().lower()
    if "(" not in name:
        return name, ()
    head, _, rest = name.partition("(")
    mods_text, _, tail = rest.partition(")")
    try:
        mods = tuple(int(m) for m in mods_text.split(","))
    except ValueError:
        return name, ()
    base = (head.strip() + " " + tail.strip()).strip() if tail.strip() else head.strip()
    return base, mods


def _widens(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    """New modifier admits every old value: unbounded, or same shape and not smaller."""
    if not new:
        return True
    return bool(old) and len(old) == len(new) and new[0] >= old[0] and new[1:] == old[1:]


def rewrite_free(old_type: str, new_type: str) -> bool:
    """Whether changing a column from ``old_type`` to ``new_type`` skips the table rewrite."""
    old_base, old_mods = split_type(old_type)
    new_base, new_mods = split_type(new_type)
    if (old_base, old_mods) == (new_base, new_mods):
        return True
    if old_base.endswith("[]") or new_base.endswith("[]"):
        return False
    if old_base in _UNBOUNDED_TEXT and new_base in _UNBOUNDED_TEXT:
        return new_base == "text" or _widens(old_mods, new_mods)
    if old_base == new_base and old_base in ("numeric", "bit varying", *_TIMES):
        return _widens(old_mods, new_mods)
    return old_base == "cidr" and new_base == "inet"
