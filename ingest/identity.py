"""Canonical addresses, pseudonyms and identity resolution.

Canonicalisation choices (changing any of them splits history, because person
keys are keyed hashes of the canonical address):

* trim white space, drop one pair of angle brackets and a ``mailto:`` prefix
  (any case), lower-case the whole address;
* dots and ``+tags`` in the local part are kept (``a.b@x`` and ``ab@x`` are
  different addresses; see :class:`Resolver` for the name heuristic instead);
* a value is an address when it has exactly one ``@`` with a non-empty local
  part and a domain made of letters, digits, dots and hyphens.

Person keys are ``pseudonym(canonical primary address, key)``: HMAC-SHA256
with the configured key, never a plain hash.

Erasure marks are pseudonyms too (see :func:`erasure_marks`): the person's
key and alias pseudonyms, and pseudonyms of their name (``name:<name>``) and
of the local parts the name heuristic would match (``form:<first.last>``),
so that neither an address, an alias nor a name brings an erased person
back. An opted-out address is marked by its own pseudonym
(:func:`read_opt_out`, :func:`address_marks`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from ingest.errors import IngestError
from ingest.records import Person

__all__ = [
    "AddressKind",
    "IdentitySettings",
    "Resolution",
    "Resolver",
    "address_marks",
    "canonical_address",
    "erasure_marks",
    "name_forms",
    "name_marks",
    "pseudonym",
    "read_opt_out",
]

_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_BAD_LOCAL = re.compile(r"[\s<>()\[\],;:\"\\@]")

PERSONAL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.*",
    "hotmail.*",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "gmx.*",
    "web.de",
    "proton.me",
    "protonmail.com",
    "yandex.*",
    "mail.ru",
)
BOT_PATTERNS = (
    "no-reply*",
    "noreply*",
    "no_reply*",
    "no.address*",
    "no-address*",
    "do-not-reply*",
    "donotreply*",
    "mailer-daemon*",
    "postmaster*",
    "bounce*",
    "*-bounces*",
    "notifications",
    "notification",
    "daemon",
)
LIST_PATTERNS = ("all-*", "all.*", "*-all", "*-list", "dl-*", "dl.*", "list-*", "everyone*")


def canonical_address(raw: object) -> str | None:
    """Return the canonical form of an e-mail address, or ``None``.

    >>> canonical_address("  <MAILTO:Alice.Smith@Example.COM> ")
    'alice.smith@example.com'
    >>> canonical_address("Caller 2403") is None
    True
    """
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    if value[:7].lower() == "mailto:":
        value = value[7:].strip()
    value = value.lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or _BAD_LOCAL.search(local):
        return None
    if not _DOMAIN.fullmatch(domain) or ".." in domain:
        return None
    return value


def pseudonym(value: str, key: bytes) -> str:
    """Keyed pseudonym of ``value``: ``"p_"`` + 24 hex digits of HMAC-SHA256."""
    digest = hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "p_" + digest.hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """How addresses are pseudonymised and classified.

    Domain and local-part patterns are shell-style (``fnmatch``), matched
    against lower-case text. An address is internal when its domain equals an
    ``internal_domains`` entry or is a subdomain of one.
    """

    key: bytes
    internal_domains: tuple[str, ...] = ()
    it_units: tuple[str, ...] = ()
    broadcast_cutoff: int = 25
    personal_domains: tuple[str, ...] = PERSONAL_DOMAINS
    bot_patterns: tuple[str, ...] = BOT_PATTERNS
    list_patterns: tuple[str, ...] = LIST_PATTERNS
    list_addresses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("IdentitySettings.key must not be empty")
        if self.broadcast_cutoff < 1:
            raise ValueError("broadcast_cutoff must be at least 1")


class AddressKind(StrEnum):
    """What an address stands for."""

    INTERNAL = "internal"
    EXTERNAL = "external"
    PERSONAL = "personal"
    BOT = "bot"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving one address or label.

    ``key`` is set for internal people only. ``how`` says how the key was
    found: ``address`` (directory address or alias, or a person seen before),
    ``name`` (the name heuristic), ``map`` (a user mapping), ``created``, or
    ``erased``: the address, name or label is marked as erased or opted out,
    and ``key`` is the mark (ties naming it are left out).
    """

    kind: AddressKind
    key: str | None = None
    how: str = ""


class Resolver:
    """Maps addresses and labels to person keys.

    Built from the people already stored (and, when available, a mapping of
    raw canonical addresses to keys, e.g. from the HR directory). Lookups, in
    order:

    0. the address's pseudonym is marked erased (``erased``): that mark;
    1. the canonical address is a known address, or its pseudonym is a known
       person key or alias pseudonym: that person;
    2. bots (local part matches ``bot_patterns``), lists (``list_addresses``,
       senders of ``List-Id`` mail, local part matches ``list_patterns``),
       personal and external domains: no key;
    3. internal address whose local part is ``first.last``, ``f.last``,
       ``flast``, ``first_last`` or ``firstlast`` of exactly one directory
       person's name: that person (ambiguous forms never match);
    4. otherwise a new person keyed by the address's pseudonym, with no
       name, department or team (collected by :meth:`drain_new_people`).

    Erased people still count in step 3, as their name marks: a local part
    that matched an erased person alone resolves to the mark, and one that
    was ambiguous with them stays ambiguous.
    """

    def __init__(
        self,
        settings: IdentitySettings,
        people: Iterable[Person] = (),
        addresses: Mapping[str, str] | None = None,
        user_map: Mapping[str, str] | None = None,
        erased: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self._erased = frozenset(erased)
        self._keys: set[str] = set()
        self._tokens: dict[str, str] = {}
        self._names: dict[str, set[str]] = {}
        self._forms: dict[str, set[str]] = {}
        self._lists = {a for a in map(canonical_address, settings.list_addresses) if a}
        self._cache: dict[str, Resolution] = {}
        self._kinds: dict[str, AddressKind] = {}
        self._new: list[Person] = []
        self._user_map = dict(user_map or {})
        for person in people:
            self._add_person(person)
        for address, key in (addresses or {}).items():
            canonical = canonical_address(address)
            if canonical:
                self._tokens[self._token(canonical)] = key

    def _token(self, value: str) -> str:
        return pseudonym(value, self.settings.key)

    def _add_person(self, person: Person) -> None:
        self._keys.add(person.key)
        self._tokens[person.key] = person.key
        for alias in person.aliases:
            self._tokens[alias] = person.key
        if person.name:
            self._names.setdefault(_casefold(person.name), set()).add(person.key)
            for form in name_forms(person.name):
                self._forms.setdefault(form, set()).add(person.key)

    @property
    def erased(self) -> frozenset[str]:
        """The erasure marks this resolver honours."""
        return self._erased

    def _erased_mark(self, value: str) -> str | None:
        """The pseudonym of ``value`` when it is marked erased."""
        if not self._erased:
            return None
        token = self._token(value)
        return token if token in self._erased else None

    @property
    def known_keys(self) -> frozenset[str]:
        """Keys of every person known so far (stored or created)."""
        return frozenset(self._keys)

    def drain_new_people(self) -> list[Person]:
        """Return the people created since the last call, and forget them."""
        new, self._new = self._new, []
        return new

    def mark_list(self, address: str) -> None:
        """Treat ``address`` as a mailing list from now on (e.g. a List-Id sender)."""
        canonical = canonical_address(address)
        if canonical and canonical not in self._lists:
            self._lists.add(canonical)
            self._cache.pop(canonical, None)
            self._kinds.pop(canonical, None)

    def classify(self, address: str) -> AddressKind:
        """Classify a canonical address without creating anyone."""
        kind = self._kinds.get(address)
        if kind is None:
            kind = self._kinds[address] = self._classify(address)
        return kind

    def _classify(self, address: str) -> AddressKind:
        token = self._token(address)
        if self._tokens.get(token) or token in self._erased:
            return AddressKind.INTERNAL
        local, _, domain = address.rpartition("@")
        if any(fnmatchcase(local, p) for p in self.settings.bot_patterns):
            return AddressKind.BOT
        if address in self._lists or any(
            fnmatchcase(local, p) for p in self.settings.list_patterns
        ):
            return AddressKind.LIST
        if any(fnmatchcase(domain, p) for p in self.settings.personal_domains):
            return AddressKind.PERSONAL
        if any(domain == d or domain.endswith("." + d) for d in self.settings.internal_domains):
            return AddressKind.INTERNAL
        return AddressKind.EXTERNAL

    def resolve(self, address: str) -> Resolution:
        """Resolve a canonical address (see the class docstring for the order)."""
        cached = self._cache.get(address)
        if cached is None:
            cached = self._cache[address] = self._resolve(address)
        return cached

    def _resolve(self, address: str) -> Resolution:
        token = self._token(address)
        if token in self._erased:
            return Resolution(AddressKind.INTERNAL, token, "erased")
        key = self._tokens.get(token)
        if key:
            return Resolution(AddressKind.INTERNAL, key, "address")
        kind = self.classify(address)
        if kind is not AddressKind.INTERNAL:
            return Resolution(kind)
        local = address.rpartition("@")[0]
        keys = self._forms.get(local, ())
        mark = self._erased_mark(f"form:{local}")
        if mark and not keys:
            return Resolution(kind, mark, "erased")
        if len(keys) == 1 and not mark:
            return Resolution(kind, next(iter(keys)), "name")
        return Resolution(kind, self._create(token), "created")

    def _create(self, key: str) -> str:
        if key not in self._keys and key not in self._erased:
            person = Person(key=key)
            self._add_person(person)
            self._new.append(person)
        return key

    def resolve_label(self, label: str, namespace: str) -> Resolution:
        """Resolve a ticket-system user: an address, a mapped id, a name or a label.

        Labels that are not addresses, not in the user mapping and not the
        unique name of a known person (e.g. ``Caller 2403``) become people
        keyed by the pseudonym of ``"<namespace>:<label>"``, so they can never
        collide with address-based keys.
        """
        text = " ".join(label.split())
        mapped = self._user_map.get(text)
        address = canonical_address(mapped if mapped else text)
        if address:
            found = self.resolve(address)
            return Resolution(found.kind, found.key, "map" if mapped else found.how)
        keys = self._names.get(_casefold(text), set())
        mark = self._erased_mark(f"name:{_casefold(text)}")
        if mark and not keys:
            return Resolution(AddressKind.INTERNAL, mark, "erased")
        if len(keys) == 1 and not mark:
            return Resolution(AddressKind.INTERNAL, next(iter(keys)), "name")
        token = self._token(f"{namespace}:{text}")
        if token in self._erased:
            return Resolution(AddressKind.INTERNAL, token, "erased")
        how = "address" if token in self._keys else "created"
        return Resolution(AddressKind.INTERNAL, self._create(token), how)


def _casefold(text: str) -> str:
    return " ".join(text.casefold().split())


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z\s-]", " ", plain.lower()).split())


def name_forms(name: str) -> set[str]:
    """Local parts a directory name usually produces: first.last, f.last, flast…

    >>> sorted(name_forms("Zoë van der Berg"))
    ['z.berg', 'zberg', 'zoe.berg', 'zoe_berg', 'zoeberg']
    """
    if "," in name:  # "Last, First"
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    tokens = _fold(name).replace("-", "").split()
    if len(tokens) < 2:
        return set()
    first, last = tokens[0], tokens[-1]
    return {
        f"{first}.{last}",
        f"{first[0]}.{last}",
        f"{first[0]}{last}",
        f"{first}_{last}",
        f"{first}{last}",
    }


def name_marks(name: str, key: bytes) -> set[str]:
    """Erasure marks of a name: the name itself and the local parts it usually produces."""
    folded = _casefold(name)
    if not folded:
        return set()
    values = {f"name:{folded}"} | {f"form:{form}" for form in name_forms(name)}
    return {pseudonym(value, key) for value in values}


def erasure_marks(person: Person, key: bytes) -> set[str]:
    """Everything to mark when ``person`` is erased or opts out: key, aliases, name marks."""
    return {person.key, *person.aliases} | name_marks(person.name, key)


def address_marks(addresses: Iterable[str], key: bytes) -> set[str]:
    """Pseudonyms of canonical addresses (what an opt-out marks)."""
    return {pseudonym(address, key) for address in addresses}


def read_opt_out(path: str | os.PathLike[str]) -> list[str]:
    """The canonical addresses of an opt-out file, each once, in file order.

    One address a line; blank lines and text from a ``#`` at the start of a
    line or after white space are ignored. A line that is not an address is
    an :class:`IngestError` naming its line number (the value is not shown).
    """
    source = os.fspath(path)
    found: dict[str, None] = {}
    try:
        with open(source, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                text = re.sub(r"(^|\s)#.*", "", line).strip()
                if not text:
                    continue
                address = canonical_address(text)
                if address is None:
                    raise IngestError(
                        "not an e-mail address", source=source, record=str(number), field="address"
                    )
                found[address] = None
    except (OSError, UnicodeDecodeError) as err:
        raise IngestError(f"cannot read the opt-out list: {err}", source=source) from err
    return list(found)
