"""Every Cypher statement Bridgework sends, as constants with ``$parameters``.

Values never go into query text. Labels cannot be parameters, so statements
that differ by label are separate constants chosen from an allow-list.

Model::

    (:Person {key})-[:MEMBER_OF]->(:Team {key})-[:PART_OF]->(:Department {name})
    (:Person)-[:REPORTS_TO]->(:Person)
    (:Person)-[:INTERACTS {key, channel, month, count, weight, first_seen, last_seen, events}]->(:Person)

``events`` on a tie is its dedupe ledger: the keys of the events counted in
that pair-channel-month bucket, so an event seen again is recognised and the
ledger goes wherever the tie goes (erasure included).

Analysis scores are written back as ``bw_<name>`` properties on Person and
Team nodes, so Neo4j Browser and Bloom can style by them.
"""

from __future__ import annotations

from typing import LiteralString

CONSTRAINTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT person_key IF NOT EXISTS FOR (p:Person) REQUIRE p.key IS UNIQUE",
    "CREATE CONSTRAINT team_key IF NOT EXISTS FOR (t:Team) REQUIRE t.key IS UNIQUE",
    "CREATE CONSTRAINT department_name IF NOT EXISTS FOR (d:Department) REQUIRE d.name IS UNIQUE",
    "CREATE CONSTRAINT ingest_run_id IF NOT EXISTS FOR (r:IngestRun) REQUIRE r.id IS UNIQUE",
    "CREATE CONSTRAINT snapshot_version IF NOT EXISTS FOR (s:Snapshot) REQUIRE (s.kind, s.version) IS UNIQUE",
    "CREATE CONSTRAINT ticket_ref IF NOT EXISTS FOR (t:Ticket) REQUIRE (t.system, t.ref) IS UNIQUE",
    "CREATE CONSTRAINT interacts_key IF NOT EXISTS FOR ()-[r:INTERACTS]-() REQUIRE r.key IS UNIQUE",
    # marks of erased or opted-out keys (see "erasure marks" below)
    "CREATE CONSTRAINT erased_key IF NOT EXISTS FOR (e:Erased) REQUIRE e.key IS UNIQUE",
    # Do not add an index on INTERACTS.month: with one, the planner answers a
    # MERGE on (channel, month) by seeking every tie of the month, which made
    # 1M-event loads quadratic. The unique key above gives MERGE a point seek.
)

# Property keys the batch statements read before any tie may exist: made
# up front, so the first load into an empty database plans without
# "property key does not exist" warnings in the log.
PROPERTY_KEYS: tuple[LiteralString, ...] = ("CALL db.createProperty('events')",)

# Everything ``ensure_schema`` runs, in order.
SCHEMA: tuple[LiteralString, ...] = (*CONSTRAINTS, *PROPERTY_KEYS)

UPSERT_PEOPLE: LiteralString = """
UNWIND $rows AS row
MERGE (p:Person {key: row.key})
SET p.name = row.name, p.department = row.department, p.team = row.team,
    p.title = row.title, p.is_it = row.is_it, p.manager = row.manager, p.aliases = row.aliases
"""

DROP_STALE_MEMBERSHIP: LiteralString = """
UNWIND $rows AS row
MATCH (:Person {key: row.key})-[m:MEMBER_OF]->(t:Team)
WHERE row.team_key IS NULL OR t.key <> row.team_key
DELETE m
"""

LINK_TEAMS: LiteralString = """
UNWIND $rows AS row
WITH row WHERE row.team_key IS NOT NULL
MATCH (p:Person {key: row.key})
MERGE (d:Department {name: row.department})
MERGE (t:Team {key: row.team_key})
  ON CREATE SET t.name = row.team, t.department = row.department
SET t.is_it = row.is_it
MERGE (t)-[:PART_OF]->(d)
MERGE (p)-[:MEMBER_OF]->(t)
"""

DROP_MANAGERS: LiteralString = """
UNWIND $keys AS key
MATCH (:Person {key: key})-[r:REPORTS_TO]->()
DELETE r
"""

LINK_MANAGERS: LiteralString = """
UNWIND $rows AS row
MATCH (p:Person {key: row.key})
MATCH (m:Person {key: row.manager})
MERGE (p)-[:REPORTS_TO]->(m)
"""

DROP_EMPTY_TEAMS: LiteralString = """
MATCH (t:Team) WHERE NOT (t)<-[:MEMBER_OF]-()
DETACH DELETE t
"""

DROP_EMPTY_DEPARTMENTS: LiteralString = """
MATCH (d:Department) WHERE NOT (d)<-[:PART_OF]-()
DELETE d
"""

PEOPLE: LiteralString = """
MATCH (p:Person)
RETURN p.key AS key, p.name AS name, p.department AS department, p.team AS team,
       p.title AS title, p.is_it AS is_it, p.manager AS manager, p.aliases AS aliases
ORDER BY key
"""

PERSON: LiteralString = """
MATCH (p:Person {key: $key})
RETURN p.key AS key, p.name AS name, p.department AS department, p.team AS team,
       p.title AS title, p.is_it AS is_it, p.manager AS manager, p.aliases AS aliases
"""

TEAMS: LiteralString = """
MATCH (p:Person)-[:MEMBER_OF]->(t:Team)
RETURN t.key AS key, t.name AS name, t.department AS department,
       any(x IN collect(p.is_it) WHERE x) AS is_it
ORDER BY key
"""

MISSING_PEOPLE: LiteralString = """
UNWIND $keys AS key
OPTIONAL MATCH (p:Person {key: key})
USING INDEX SEEK p:Person(key)
WITH key, p WHERE p IS NULL
RETURN key
"""

# The statements below run once per batch of a large load. Each demands an
# index seek: planned on an empty database (no ties, so every estimate is 0),
# even a plain USING INDEX hint came out as a scan of the whole index per
# key, and a 10,000-key batch took twelve minutes instead of half a second.
#
# The ties a batch touches that exist already, with their ledgers, so the
# store can tell new events from seen ones with sets instead of list scans.
EXISTING_TIES: LiteralString = """
UNWIND $keys AS key
MATCH ()-[r:INTERACTS {key: key}]->()
USING INDEX SEEK r:INTERACTS(key)
RETURN key, r.events AS events
"""

# Ties no batch has touched before: one row each, already summed. Times
# arrive as epoch seconds (the driver packs integers much faster than
# datetimes). CREATE, not MERGE: a tie created meanwhile by another writer
# hits the interacts_key constraint, and the whole call rolls back.
CREATE_TIES: LiteralString = """
UNWIND $rows AS row
MATCH (a:Person {key: row.source})
USING INDEX SEEK a:Person(key)
MATCH (b:Person {key: row.target})
USING INDEX SEEK b:Person(key)
CREATE (a)-[:INTERACTS {
    key: row.key, channel: row.channel, month: row.month,
    count: row.count, weight: row.weight, events: row.events,
    first_seen: datetime({epochSeconds: row.first}),
    last_seen: datetime({epochSeconds: row.last})
}]->(b)
"""

# Existing ties with events their ledger lacked when it was read (``seen``
# is the ledger's length then): each event with its time and weight. Ledgers
# only grow, so an unchanged length means the store's set arithmetic still
# holds; only if another writer appended meanwhile are the events checked
# against the ledger one by one, which costs events times ledger length.
ADD_TO_TIES: LiteralString = """
UNWIND $rows AS row
MATCH ()-[r:INTERACTS {key: row.key}]->()
USING INDEX SEEK r:INTERACTS(key)
WITH r, CASE WHEN size(r.events) = row.seen THEN row.events
             ELSE [e IN row.events WHERE NOT e.key IN r.events] END AS fresh
WHERE size(fresh) > 0
WITH r, fresh,
     datetime({epochSeconds: reduce(t = fresh[0].ts, e IN fresh | CASE WHEN e.ts < t THEN e.ts ELSE t END)}) AS first,
     datetime({epochSeconds: reduce(t = fresh[0].ts, e IN fresh | CASE WHEN e.ts > t THEN e.ts ELSE t END)}) AS last
SET r.events = r.events + [e IN fresh | e.key],
    r.count = r.count + size(fresh),
    r.weight = r.weight + reduce(w = 0.0, e IN fresh | w + e.weight),
    r.first_seen = CASE WHEN r.first_seen IS NULL OR first < r.first_seen THEN first ELSE r.first_seen END,
    r.last_seen = CASE WHEN r.last_seen IS NULL OR last > r.last_seen THEN last ELSE r.last_seen END
RETURN sum(size(fresh)) AS added
"""

TIES_WINDOW: LiteralString = """
MATCH (a:Person)-[r:INTERACTS]->(b:Person)
WHERE ($since IS NULL OR r.month >= $since) AND ($until IS NULL OR r.month < $until)
  AND r.channel IN $channels
RETURN a.key AS source, b.key AS target, r.channel AS channel, null AS month,
       sum(r.count) AS count, sum(r.weight) AS weight,
       min(r.first_seen).epochSeconds AS first_seen, max(r.last_seen).epochSeconds AS last_seen
ORDER BY source, target, channel
"""

TIES_BY_MONTH: LiteralString = """
MATCH (a:Person)-[r:INTERACTS]->(b:Person)
WHERE ($since IS NULL OR r.month >= $since) AND ($until IS NULL OR r.month < $until)
  AND r.channel IN $channels
RETURN a.key AS source, b.key AS target, r.channel AS channel, r.month AS month,
       r.count AS count, r.weight AS weight,
       r.first_seen.epochSeconds AS first_seen, r.last_seen.epochSeconds AS last_seen
ORDER BY source, target, channel, month
"""

# The rows of TIES_BY_MONTH as one record per source person, a list per field
# (the lists line up: they collect the same rows), unordered: a few values per
# tie on the wire instead of a record each. Person by person, so the server
# never holds every tie at once.
TIE_COLUMNS: LiteralString = """
MATCH (a:Person)
CALL (a) {
  MATCH (a)-[r:INTERACTS]->(b:Person)
  WHERE ($since IS NULL OR r.month >= $since) AND ($until IS NULL OR r.month < $until)
    AND r.channel IN $channels
  RETURN collect(b.key) AS targets, collect(r.channel) AS channels, collect(r.month) AS months,
         collect(r.count) AS counts, collect(r.weight) AS weights,
         collect(r.first_seen.epochSeconds) AS first_seen,
         collect(r.last_seen.epochSeconds) AS last_seen
}
WITH a, targets, channels, months, counts, weights, first_seen, last_seen
WHERE size(targets) > 0
RETURN a.key AS source, targets, channels, months, counts, weights, first_seen, last_seen
"""

WRITE_PERSON_SCORES: LiteralString = """
UNWIND $rows AS row
MATCH (p:Person {key: row.key})
SET p += row.props
RETURN count(p) AS matched
"""

WRITE_TEAM_SCORES: LiteralString = """
UNWIND $rows AS row
MATCH (t:Team {key: row.key})
SET t += row.props
RETURN count(t) AS matched
"""

WRITE_DEPARTMENT_SCORES: LiteralString = """
UNWIND $rows AS row
MATCH (d:Department {name: row.key})
SET d += row.props
RETURN count(d) AS matched
"""

DEPARTMENT_SCORES: LiteralString = """
MATCH (d:Department)
WITH d.name AS key, [k IN keys(d) WHERE k STARTS WITH 'bw_' | [k, d[k]]] AS pairs
WHERE size(pairs) > 0
RETURN key, pairs ORDER BY key
"""

PERSON_SCORES: LiteralString = """
MATCH (p:Person)
WITH p.key AS key, [k IN keys(p) WHERE k STARTS WITH 'bw_' | [k, p[k]]] AS pairs
WHERE size(pairs) > 0
RETURN key, pairs ORDER BY key
"""

TEAM_SCORES: LiteralString = """
MATCH (t:Team)
WITH t.key AS key, [k IN keys(t) WHERE k STARTS WITH 'bw_' | [k, t[k]]] AS pairs
WHERE size(pairs) > 0
RETURN key, pairs ORDER BY key
"""

ERASE_PERSON: LiteralString = """
MATCH (p:Person {key: $key})
OPTIONAL MATCH (p)-[r:INTERACTS]-()
WITH p, count(r) AS ties, coalesce(sum(r.count), 0) AS events,
     size([k IN keys(p) WHERE k STARTS WITH 'bw_']) AS scores
DETACH DELETE p
RETURN ties, events, scores
"""

FORGET_MANAGER: LiteralString = """
MATCH (p:Person {manager: $key})
SET p.manager = null
"""

COUNT_NODES: LiteralString = """
CALL () { MATCH (p:Person) RETURN count(p) AS people }
CALL () { MATCH (:Person)-[:MEMBER_OF]->(t:Team) RETURN count(DISTINCT t) AS teams }
CALL () { MATCH (p:Person) WHERE p.department <> '' RETURN count(DISTINCT p.department) AS departments }
RETURN people, teams, departments
"""

COUNT_CHANNELS: LiteralString = """
MATCH (a:Person)-[r:INTERACTS]->(b:Person)
WITH r.channel AS channel, a, b, sum(r.count) AS events
RETURN channel, sum(events) AS interactions, count(*) AS pairs
ORDER BY channel
"""

# A ticket fact: (:Ticket)-[:REQUESTED_BY]->(:Person) when the requester is known.
MERGE_TICKETS: LiteralString = """
UNWIND $rows AS row
MERGE (t:Ticket {system: row.system, ref: row.ref})
SET t.requester = row.requester, t.group = row.group, t.reopen_count = row.reopen_count,
    t.satisfaction = row.satisfaction,
    t.opened = CASE WHEN row.opened IS NULL THEN null ELSE datetime({epochSeconds: row.opened}) END,
    t.resolved = CASE WHEN row.resolved IS NULL THEN null ELSE datetime({epochSeconds: row.resolved}) END
WITH t, row
OPTIONAL MATCH (t)-[old:REQUESTED_BY]->()
DELETE old
WITH DISTINCT t, row
MATCH (p:Person {key: row.requester})
MERGE (t)-[:REQUESTED_BY]->(p)
"""

TICKETS: LiteralString = """
MATCH (t:Ticket)
RETURN t.system AS system, t.ref AS ref, t.requester AS requester, t.group AS group,
       t.opened.epochSeconds AS opened, t.resolved.epochSeconds AS resolved,
       t.reopen_count AS reopen_count, t.satisfaction AS satisfaction
ORDER BY system, ref
"""

FORGET_REQUESTER: LiteralString = """
MATCH (t:Ticket {requester: $key})
SET t.requester = null
"""

RECORD_RUN: LiteralString = """
CREATE (r:IngestRun)
SET r = $row
"""

RUNS: LiteralString = """
MATCH (r:IngestRun)
RETURN r.id AS id, r.kind AS kind, r.source AS source, r.status AS status,
       r.started AS started, r.finished AS finished, r.report AS report, r.error AS error
ORDER BY started DESC, finished DESC, id DESC
LIMIT $limit
"""

SAVE_SNAPSHOT: LiteralString = """
OPTIONAL MATCH (old:Snapshot {kind: $kind})
WITH coalesce(max(old.version), 0) + 1 AS version
CREATE (s:Snapshot {kind: $kind, version: version, created: $created, data: $data})
RETURN version
"""

SNAPSHOT: LiteralString = """
MATCH (s:Snapshot {kind: $kind})
WHERE $version IS NULL OR s.version = $version
RETURN s.version AS version, s.created AS created, s.data AS data
ORDER BY version DESC
LIMIT 1
"""

SNAPSHOT_VERSIONS: LiteralString = """
MATCH (s:Snapshot {kind: $kind})
RETURN s.version AS version
ORDER BY version
"""

# Relationships first, in their own batches: a DETACH DELETE of 10,000 people
# takes their ties along in the same inner transaction, and with a million
# ties that ran out of transaction memory.
CLEAR: tuple[LiteralString, ...] = (
    """
MATCH ()-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
""",
    """
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
""",
)

# -- erasure marks and retention --------------------------------------------------------
#
# (:Erased {key, at}) marks the key of an erased or opted-out person (or an
# alias or name token of one): writes of people and interactions leave marked
# keys out. ``at`` is when the mark was made, in epoch seconds.

MARK_ERASED: LiteralString = """
UNWIND $keys AS key
OPTIONAL MATCH (old:Erased {key: key})
WITH key, old IS NULL AS fresh
MERGE (e:Erased {key: key})
  ON CREATE SET e.at = $at
RETURN sum(CASE WHEN fresh THEN 1 ELSE 0 END) AS added
"""

ERASED_KEYS: LiteralString = """
MATCH (e:Erased)
RETURN e.key AS key
"""

# Snapshot data is JSON text: a key is mentioned when its escaped form is in it.
DROP_SNAPSHOTS_NAMING: LiteralString = """
MATCH (s:Snapshot)
WHERE any(needle IN $needles WHERE s.data CONTAINS needle)
DELETE s
RETURN count(*) AS dropped
"""

# Inside an atomic() unit: one statement in the unit's transaction.
PURGE_TIES: LiteralString = """
MATCH ()-[r:INTERACTS]->()
WHERE r.month < $before
WITH r, size(r.events) AS events
DELETE r
RETURN count(*) AS ties, coalesce(sum(events), 0) AS events
"""

# On its own: in batches of their own transactions, like CLEAR.
PURGE_TIES_IN_BATCHES: LiteralString = """
MATCH ()-[r:INTERACTS]->()
WHERE r.month < $before
CALL (r) {
  WITH r, size(r.events) AS events
  DELETE r
  RETURN events
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(*) AS ties, coalesce(sum(events), 0) AS events
"""

PURGE_TICKETS: LiteralString = """
MATCH (t:Ticket)
WHERE coalesce(t.opened, t.resolved) < datetime({epochSeconds: $start})
DETACH DELETE t
RETURN count(*) AS tickets
"""
