"""Address rendering shared by the mail and calendar writers.

Each person gets a fixed "mail client style": a bare address, ``Name <addr>``
or Outlook's ``"Last, First" <addr>``; non-ASCII names are RFC 2047 encoded.
External correspondents (vendors, personal mailboxes) are appended after the
staff so that a negative index ``-k`` names the ``k``-th external address.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass

from demo import names as vocab
from demo.org import Org
from demo.org import slug

SPECIALS = set('()<>[]:;@\\,."')


def encoded_word(text: str, b_encoding: bool = False) -> str:
    """RFC 2047 encoded-word for a phrase (``=?utf-8?q?Zo=C3=AB?=``)."""
    raw = text.encode("utf-8")
    if b_encoding:
        return f"=?UTF-8?B?{base64.b64encode(raw).decode('ascii')}?="
    out = []
    for c in raw:
        if c == 32:
            out.append("_")
        elif 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122:
            out.append(chr(c))
        else:
            out.append(f"={c:02X}")
    return f"=?utf-8?q?{''.join(out)}?="


def phrase(name: str, rng: random.Random) -> str:
    """A display name as it may appear in a header: plain, quoted or encoded."""
    if not name.isascii():
        return encoded_word(name, b_encoding=rng.random() < 0.4)
    if any(c in SPECIALS for c in name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def mailbox(name: str, addr: str, style: int, last_first: str, rng: random.Random) -> str:
    """Render one mailbox in the given client style (0 bare, 1 named, 2 Outlook)."""
    if style == 0:
        return addr
    shown = name if style == 1 else last_first
    return f"{phrase(shown, rng)} <{addr}>"


@dataclass
class Book:
    """Rendered addresses; index ``i >= 0`` is staff, ``-k`` the k-th external."""

    addr: list[str]
    shown: list[str]
    alias: list[str]
    first: list[str]
    names: list[str]
    externals: int

    def external(self, rng: random.Random) -> int:
        """A random external correspondent (a negative index)."""
        return -1 - rng.randrange(self.externals)


def make_book(org: Org, rng: random.Random) -> Book:
    """Render every person's header forms once, plus the external pool."""
    addr, shown, alias, first, names = [], [], [], [], []
    for p in org.people:
        r = rng.random()
        style = 0 if r < 0.2 else 1 if r < 0.8 else 2
        last_first = f"{p.last}, {p.name[: -len(p.last)].strip()}"
        addr.append(p.email)
        shown.append(mailbox(p.name, p.email, style, last_first, rng))
        alias.append(mailbox(p.name, p.alias, style, last_first, rng) if p.alias else "")
        first.append(p.first)
        names.append(p.name)
    ext = _externals(max(20, len(org.people) // 40), rng)
    for name, address in reversed(ext):
        addr.append(address)
        shown.append(mailbox(name, address, 1, name, rng))
        alias.append("")
        first.append(name.split()[0])
        names.append(name)
    return Book(addr, shown, alias, first, names, len(ext))


def _externals(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Vendor contacts and personal addresses (fictitious, numbered)."""
    out = []
    for i in range(count):
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        if rng.random() < 0.7:
            domain = rng.choice(vocab.VENDOR_DOMAINS)
            local = f"{slug(first)}.{slug(last)}{i}"
        else:
            domain = rng.choice(vocab.PERSONAL_DOMAINS)
            local = f"{slug(first)}{slug(last)}{1960 + i % 45}{i}"
        out.append((f"{first} {last}", f"{local}@{domain}"))
    return out


def fold(name: str, items: list[str], width: int = 76) -> str:
    """``Name: a, b, c`` folded on commas at about ``width`` characters."""
    line = f"{name}: {items[0]}"
    lines = []
    for item in items[1:]:
        if len(line) + len(item) + 2 > width:
            lines.append(line + ",")
            line = " " + item
        else:
            line += ", " + item
    lines.append(line)
    return "\n".join(lines)
