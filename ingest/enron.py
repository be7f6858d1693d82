"""The Enron custodians as an HR directory, from the published org metadata.

Input: the ``enron-org-metadata`` folder (see its PROVENANCE.md):
``perry-disim/employees.txt`` (id, name, Department, BusinessUnit, title,
...), ``perry-disim/messages.tsv`` (message file paths such as
``allen-p/sent/11`` with the sender's employee id) and
``enrondata-custodians/edo_enron-custodians-data.tsv`` (maildir id, e-mail,
name, title). Output: rows for :mod:`ingest.directory` (``person_id`` is
the maildir id), so ``flask --app app ingest directory`` can load them::

    python -m ingest.enron /path/to/enron-org-metadata enron-hr.csv

Rules:

* ``department`` is Perry's Department (Legal, Trading, Other) and ``team``
  the BusinessUnit (``NA`` becomes ``Unknown unit``); ``title`` is Perry's.
* A mailbox (maildir id) belongs to the employee who sent most of the
  messages in its sent folders (``sent``, ``sent_items``, ``_sent_mail``);
  employees who own no mailbox are matched to a free EDO custodian of the
  same first and last name. ``person_id`` is the maildir id, else
  ``perry-<id>``.
* The primary address is ``first.last@enron.com`` from Perry's name
  (middle names, initials and Jr./III dropped), plus ``m..last@enron.com``
  for a name with one middle initial ``M.`` (the corpus's form, e.g.
  ``b..sanders@enron.com`` for Richard B. Sanders; EDO
  addresses are normalised guesses, e.g. ``philip.allen`` for the real
  ``phillip.allen``); the EDO address of the employee's mailbox, when
  different, is an alias (or the primary address when ``first.last`` is
  not usable). A derived address that two employees share, or
  that is another employee's EDO address, is not used; an employee left
  without any address is left out.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "COLUMNS",
    "Employee",
    "derived_addresses",
    "directory_rows",
    "main",
    "parse_custodians",
    "parse_employees",
    "read_enron_org",
    "sent_mailboxes",
    "write_directory_csv",
]

COLUMNS = ("person_id", "name", "email", "aliases", "department", "team", "title")
DOMAIN = "enron.com"
SENT_FOLDERS = frozenset({"sent", "sent_items", "_sent_mail"})
NO_UNIT = "Unknown unit"
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


@dataclass(frozen=True, slots=True)
class Employee:
    """One row of Perry's ``employees.txt``."""

    id: str
    name: str
    department: str
    unit: str
    title: str


def parse_employees(lines: Iterable[str]) -> Iterator[Employee]:
    """Parse ``employees.txt`` (tab separated, no header)."""
    for row in csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        if len(row) >= 5:
            yield Employee(*(" ".join(cell.split()) for cell in row[:5]))


def sent_mailboxes(lines: Iterable[str]) -> dict[str, str]:
    """Maildir id -> the employee id with most messages in its sent folders (``messages.tsv``)."""
    senders: dict[str, Counter[str]] = {}
    for row in csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        parts = row[1].split("/") if len(row) >= 5 else []
        if len(parts) >= 2 and parts[1] in SENT_FOLDERS:
            senders.setdefault(parts[0], Counter())[row[4]] += 1
    return {box: counts.most_common(1)[0][0] for box, counts in sorted(senders.items())}


def parse_custodians(lines: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Maildir id -> (e-mail, name) from the EDO custodian TSV."""
    return {
        row[0].strip(): (row[1].strip().lower(), row[2].strip())
        for row in csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        if len(row) >= 3 and row[0].strip()
    }


def _fold(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(c if c.isalnum() or c.isspace() else "" for c in plain.lower())
    return [t for t in cleaned.split() if len(t) > 1 or t.isdigit()] or cleaned.split()


def _name_key(name: str) -> tuple[str, str] | None:
    tokens = [t for t in _fold(name) if t not in SUFFIXES]
    return (tokens[0], tokens[-1]) if len(tokens) >= 2 else None


def derived_addresses(name: str) -> list[str]:
    """``first.last@enron.com`` from a name, and ``m..last@enron.com`` when it has a
    middle initial ``M.`` (how the corpus writes such people, e.g. ``b..sanders``)."""
    key = _name_key(name)
    if key is None:
        return []
    found = [f"{key[0]}.{key[1]}@{DOMAIN}"]
    initials = _initials(name)
    if len(initials) == 1:
        found.append(f"{initials[0]}..{key[1]}@{DOMAIN}")
    return found


def _initials(name: str) -> list[str]:
    """Single-letter middle names (``K.`` in ``Phillip K. Allen``), lower-case."""
    words = name.split()[1:-1]
    return [w[0].lower() for w in words if len(w.rstrip(".")) == 1 and w[0].isalpha()]


def directory_rows(
    employees: Sequence[Employee],
    mailboxes: dict[str, str],
    custodians: dict[str, tuple[str, str]],
) -> list[dict[str, str]]:
    """Directory rows (see the module docstring for the rules); employees left
    without an address of their own are left out."""
    boxes = _boxes(employees, mailboxes, custodians)
    edo = {e.id: custodians[boxes[e.id]][0] for e in employees if boxes.get(e.id) in custodians}
    edo_owner = {address: e for e, address in edo.items()}
    derived = {e.id: derived_addresses(e.name) for e in employees}
    claims = Counter(a for found in derived.values() for a in found)
    rows = []
    for e in employees:
        usable = [a for a in derived[e.id] if claims[a] == 1 and edo_owner.get(a, e.id) == e.id]
        first_last = [a for a in usable[:1] if a == derived[e.id][0]]
        own = list(dict.fromkeys(a for a in (*first_last, edo.get(e.id), *usable) if a))
        if own:
            rows.append(_row(e, boxes.get(e.id) or f"perry-{e.id}", own))
    return rows


def _boxes(
    employees: Sequence[Employee],
    mailboxes: dict[str, str],
    custodians: dict[str, tuple[str, str]],
) -> dict[str, str]:
    """Employee id -> maildir id: by sent mail, else a free EDO custodian of the same name."""
    boxes: dict[str, str] = {}
    for box, employee in mailboxes.items():
        boxes.setdefault(employee, box)  # whalley-g and whalley-l: the first one
    taken = set(boxes.values())
    by_name: dict[tuple[str, str] | None, list[str]] = {}
    for box, (_, name) in custodians.items():
        by_name.setdefault(_name_key(name), []).append(box)
    for e in employees:
        free = [b for b in by_name.get(_name_key(e.name), []) if b not in taken]
        if e.id not in boxes and len(free) == 1:
            boxes[e.id] = free[0]
            taken.add(free[0])
    return boxes


def _row(e: Employee, person_id: str, addresses: list[str]) -> dict[str, str]:
    return {
        "person_id": person_id,
        "name": e.name,
        "email": addresses[0],
        "aliases": ";".join(addresses[1:]),
        "department": e.department,
        "team": e.unit if e.unit and e.unit != "NA" else NO_UNIT,
        "title": e.title,
    }


def read_enron_org(root: str | Path) -> list[dict[str, str]]:
    """Directory rows from an ``enron-org-metadata`` folder."""
    base = Path(root)
    with open(base / "perry-disim" / "employees.txt", encoding="utf-8") as handle:
        employees = list(parse_employees(handle))
    with open(base / "perry-disim" / "messages.tsv", encoding="utf-8", newline="") as handle:
        mailboxes = sent_mailboxes(handle)
    edo = base / "enrondata-custodians" / "edo_enron-custodians-data.tsv"
    with open(edo, encoding="utf-8", newline="") as handle:
        custodians = parse_custodians(handle)
    return directory_rows(employees, mailboxes, custodians)


def write_directory_csv(rows: Iterable[dict[str, str]], path: str | Path) -> int:
    """Write directory rows as a CSV for ``ingest directory``; return the row count."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ingest.enron METADATA_DIR OUT.csv``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m ingest.enron ENRON_ORG_METADATA_DIR OUT.csv", file=sys.stderr)
        return 2
    count = write_directory_csv(read_enron_org(args[0]), args[1])
    print(f"{args[1]}: {count} people")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
