"""Canonical addresses, pseudonyms, classification and resolution."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ingest.identity import AddressKind
from ingest.identity import IdentitySettings
from ingest.identity import Resolver
from ingest.identity import canonical_address
from ingest.identity import name_forms
from ingest.identity import pseudonym
from ingest.records import Person

LOCAL = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,20}", fullmatch=True)
DOMAIN = st.from_regex(
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?(\.[A-Za-z]{2,6}){1,2}", fullmatch=True
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  Alice.Smith@Example.COM\t", "alice.smith@example.com"),
        ("<alice@example.com>", "alice@example.com"),
        ("mailto:alice@example.com", "alice@example.com"),
        ("MAILTO:Alice@Example.com", "alice@example.com"),
        ("<mailto:alice@example.com>", "alice@example.com"),
        ("k..allen@enron.com", "k..allen@enron.com"),
        ("Caller 2403", None),
        ("", None),
        ("@example.com", None),
        ("alice@", None),
        ("a b@example.com", None),
        ("alice@exa mple.com", None),
        ("alice@example..com", None),
        ('"Doe, C" <c@z.com>', None),
        (None, None),
        (42, None),
    ],
)
def test_canonical_address(raw, expected):
    assert canonical_address(raw) == expected


@hsettings(max_examples=300, deadline=None)
@given(LOCAL, DOMAIN, st.sampled_from(["", " ", "\t"]), st.booleans(), st.booleans())
def test_canonical_address_ignores_case_brackets_and_mailto(local, domain, pad, angle, mailto):
    address = f"{local}@{domain}"
    decorated = ("mailto:" if mailto else "") + address.swapcase()
    decorated = f"<{decorated}>" if angle else decorated
    assert canonical_address(pad + decorated + pad) == address.lower()


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_canonical_address_is_idempotent_and_normal(text):
    result = canonical_address(text)
    if result is not None:
        assert canonical_address(result) == result
        assert result == result.strip().lower()
        assert result.count("@") == 1


def test_pseudonym_is_keyed_and_stable():
    first = pseudonym("alice@example.com", b"k1")
    assert first == pseudonym("alice@example.com", b"k1")
    assert first != pseudonym("alice@example.com", b"k2")
    assert first.startswith("p_") and len(first) == 26


def test_settings_reject_an_empty_key():
    with pytest.raises(ValueError, match="key"):
        IdentitySettings(key=b"")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("grace.hopper@example.com", AddressKind.INTERNAL),
        ("someone@eu.example.com", AddressKind.INTERNAL),
        ("someone@notexample.com", AddressKind.EXTERNAL),
        ("partner@vendor.test", AddressKind.EXTERNAL),
        ("me@gmail.com", AddressKind.PERSONAL),
        ("me@gmx.de", AddressKind.PERSONAL),
        ("no-reply@example.com", AddressKind.BOT),
        ("noreply@vendor.test", AddressKind.BOT),
        ("mailer-daemon@example.com", AddressKind.BOT),
        ("postmaster@example.com", AddressKind.BOT),
        ("all-staff@example.com", AddressKind.LIST),
        ("engineering-list@example.com", AddressKind.LIST),
        ("dl-ga-all_enron_worldwide1@enron.com", AddressKind.LIST),
        ("announce@example.com", AddressKind.LIST),  # configured list address
    ],
)
def test_classify(address, kind, settings):
    listed = IdentitySettings(
        key=settings.key,
        internal_domains=("example.com",),
        list_addresses=("Announce@example.com",),
    )
    assert Resolver(listed).classify(address) is kind


def test_list_id_senders_become_lists(settings):
    resolver = Resolver(settings)
    assert resolver.classify("news@example.com") is AddressKind.INTERNAL
    resolver.mark_list("news@example.com")
    assert resolver.resolve("news@example.com").kind is AddressKind.LIST


def directory_resolver(settings):
    people = [
        Person(key=pseudonym("ada.lovelace@example.com", settings.key), name="Ada Lovelace"),
        Person(key=pseudonym("grace.hopper@example.com", settings.key), name="Grace Hopper"),
        Person(key=pseudonym("g.hopper2@example.com", settings.key), name="Hopper, Grace"),
    ]
    book = {"ada@example.com": people[0].key}
    return Resolver(settings, people, addresses=book), people


def test_resolver_maps_primary_addresses_and_aliases(settings):
    resolver, people = directory_resolver(settings)
    assert resolver.resolve("ada.lovelace@example.com").key == people[0].key
    assert resolver.resolve("ada@example.com").key == people[0].key
    assert resolver.drain_new_people() == []


def test_name_heuristic_matches_only_unambiguous_forms(settings):
    resolver, people = directory_resolver(settings)
    found = resolver.resolve("alovelace@example.com")
    assert (found.key, found.how) == (people[0].key, "name")
    ambiguous = resolver.resolve("ghopper@example.com")  # Grace Hopper or "Hopper, Grace"
    assert ambiguous.how == "created"
    assert ambiguous.key == pseudonym("ghopper@example.com", settings.key)
    assert resolver.drain_new_people() == [Person(key=ambiguous.key)]
    assert resolver.drain_new_people() == []


def test_external_people_get_no_key_and_are_not_created(settings):
    resolver, _ = directory_resolver(settings)
    assert resolver.resolve("partner@vendor.test").key is None
    assert resolver.resolve("me@gmail.com").key is None
    assert resolver.drain_new_people() == []


def test_labels_resolve_by_map_address_name_or_namespace(settings):
    resolver, people = directory_resolver(settings)
    mapped = Resolver(settings, people, user_map={"admin": "ada.lovelace@example.com"})
    assert mapped.resolve_label("admin", "t").key == people[0].key
    assert resolver.resolve_label("Grace  Hopper", "t").key == people[1].key
    caller = resolver.resolve_label("Caller 2403", "t")
    assert caller.how == "created"
    assert caller.key == pseudonym("t:Caller 2403", settings.key)
    assert resolver.resolve_label("Caller  2403", "t").key == caller.key  # spaces folded
    assert resolver.resolve_label("Caller 2403", "other").key != caller.key


def test_name_forms():
    assert name_forms("Ada Lovelace") == {
        "ada.lovelace",
        "a.lovelace",
        "alovelace",
        "ada_lovelace",
        "adalovelace",
    }
    assert name_forms("Lovelace, Ada") == name_forms("Ada Lovelace")
    assert name_forms("Cher") == set()
