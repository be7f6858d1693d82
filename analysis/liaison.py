"""IT–business liaison: how each business unit is tied to IT, and through whom.

:func:`it_liaison` gives the structural components per business unit (volume,
breadth, concentration on named liaisons). :func:`liaison_score` and
:func:`it_team_liaison_score` add redundancy (node-disjoint paths), the share
of the unit's outside attention that goes to IT, channel mix and the recency
trend, and combine them into a 0–100 score (§3.10 of the metrics memo).

Weights are strengths throughout (more contact, larger weight); the graph is
the undirected person graph of :func:`analysis.build.person_graph`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections import defaultdict
from collections.abc import Collection
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import igraph as ig
import numpy as np

from analysis.build import edge_array
from analysis.risk import disjoint_paths
from analysis.ties import CHANNELS
from analysis.ties import TieTable
from ingest.records import Channel
from ingest.records import Tie

__all__ = [
    "DEFAULT_WEIGHTS",
    "ChannelMix",
    "Liaison",
    "LiaisonScore",
    "it_liaison",
    "it_team_liaison_score",
    "liaison_score",
    "edge_channels",
    "monthly_liaison_volume",
    "monthly_volume",
    "pair_channels",
    "volume_trend",
]

#: Weights of the score components (they sum to 1; missing components are
#: left out and the rest renormalised). Redundancy weighs most because a unit
#: that hangs on one person is the failure the score exists to show.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"volume": 0.25, "breadth": 0.20, "redundancy": 0.30, "relational": 0.15, "recency": 0.10}
)
#: Relative change of monthly volume per month that maps to tanh(1) ≈ 0.76.
TREND_SCALE = 0.1

PairChannels = Mapping[frozenset[str], Collection[Channel | str]]


@dataclass(frozen=True, slots=True)
class Liaison:
    """How one business unit is tied to IT.

    ``volume`` is the summed strength of IT–unit ties and ``density`` that
    volume over ``|IT| · |unit|``; ``it_people`` and ``unit_people`` count the
    distinct people on each side of those ties; ``concentration`` is the
    Herfindahl index of the volume over IT people (1.0 = one liaison carries
    everything); ``liaisons`` lists IT people by the share they carry.
    """

    unit: str
    size: int
    volume: float
    density: float
    it_people: int
    unit_people: int
    concentration: float | None
    liaisons: tuple[tuple[str, float], ...]

    @property
    def single_liaison(self) -> bool:
        """All of the unit's IT contact runs through one IT person."""
        return self.it_people == 1


def it_liaison(
    graph: ig.Graph, *, unit: str = "department", weight: str = "weight"
) -> dict[str, Liaison]:
    """Liaison components for every business unit.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph with vertex attributes ``name``, ``is_it`` and
        ``unit``, and edge strengths in ``weight``.
    unit : str
        Vertex attribute that names the business unit.

    Returns
    -------
    dict
        Unit name to :class:`Liaison`, for every unit that has no IT member.

    Notes
    -----
    Undirected; ``weight`` is a strength (summed over channels and directions
    by :func:`analysis.build.person_graph`). Ties between IT people and people
    without a unit are ignored.

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2), (0, 3)])
    >>> g.vs["name"] = ["f1", "f2", "it1", "it2"]
    >>> g.vs["department"] = ["Finance", "Finance", "IT", "IT"]
    >>> g.vs["is_it"] = [False, False, True, True]
    >>> g.es["weight"] = [3.0, 1.0, 1.0]
    >>> r = it_liaison(g)["Finance"]
    >>> (r.volume, r.density, r.it_people, r.unit_people, r.concentration, r.liaisons)
    (5.0, 1.25, 2, 2, 0.68, (('it1', 0.8), ('it2', 0.2)))
    """
    units = graph.vs[unit]
    is_it = graph.vs["is_it"]
    names = graph.vs["name"]
    it_count = sum(1 for x in is_it if x)
    sizes = Counter(u for u, it in zip(units, is_it, strict=True) if u and not it)
    carried: dict[str, Counter[str]] = defaultdict(Counter)
    reached: dict[str, set[int]] = defaultdict(set)
    weights = graph.es[weight] if graph.ecount() else []
    for edge, w in zip(graph.es, weights, strict=True):
        a, b = edge.source, edge.target
        if is_it[a] == is_it[b]:
            continue
        it_side, other = (a, b) if is_it[a] else (b, a)
        if units[other] in sizes:
            carried[units[other]][names[it_side]] += w
            reached[units[other]].add(other)
    return {
        name: _liaison(name, size, it_count, carried[name], len(reached[name]))
        for name, size in sorted(sizes.items())
    }


def _liaison(
    name: str, size: int, it_count: int, carried: Counter[str], unit_people: int
) -> Liaison:
    volume = float(sum(carried.values()))
    shares = (
        sorted(((person, w / volume) for person, w in carried.items()), key=lambda x: (-x[1], x[0]))
        if volume
        else []
    )
    concentration = round(sum(s * s for _, s in shares), 12) if shares else None
    density = volume / (it_count * size) if it_count and size else 0.0
    return Liaison(
        unit=name,
        size=size,
        volume=volume,
        density=density,
        it_people=len(carried),
        unit_people=unit_people,
        concentration=concentration,
        liaisons=tuple((p, round(s, 12)) for p, s in shares),
    )


@dataclass(frozen=True, slots=True)
class ChannelMix:
    """Channels of the IT–unit ties: ``transactional`` is the share of ties seen
    only in tickets, ``multiplexity`` the mean number of channels per tie,
    over the ``ties`` whose channels are known."""

    ties: int
    transactional: float
    multiplexity: float

    @property
    def relational(self) -> float:
        """Share of ties with e-mail, meeting or chat contact."""
        return 1.0 - self.transactional


@dataclass(frozen=True, slots=True)
class LiaisonScore:
    """The 0–100 liaison score of one business unit with IT (or one IT team).

    ``liaison`` holds volume, density, breadth, concentration and the named
    liaisons; ``it_share`` is the share of the unit's external tie strength
    that goes to the IT side; ``coverage`` the share of the unit's people with
    an IT tie; ``paths`` the node-disjoint unit–IT paths; ``channels`` and
    ``trend`` (relative change of monthly volume per month) are ``None`` when
    their inputs were not given. ``components`` are the scaled parts (each in
    [0, 1], ``None`` when missing) that ``score`` combines.
    """

    unit: str
    it_side: str
    score: float
    components: Mapping[str, float | None]
    liaison: Liaison
    it_share: float | None
    coverage: float
    paths: int
    channels: ChannelMix | None
    trend: float | None


@dataclass(slots=True)
class _Block:
    """The ties between one business unit and one IT side."""

    unit: str
    it_side: str
    it_size: int
    ties: list[tuple[int, int, float]]  # (unit person, IT person, strength)


@dataclass(slots=True)
class _Context:
    """Per-graph figures shared by every block, extracted once."""

    names: list[str]
    mass: np.ndarray  # multiplicity of each person
    edges: np.ndarray  # (m, 2) vertex ids
    strengths: np.ndarray  # tie strength times both ends' multiplicities
    unit_size: Counter[str]
    unit_mass: dict[str, float]
    external: dict[str, float]  # strength from each unit to anyone outside it
    people: float


def liaison_score(
    graph: ig.Graph,
    *,
    unit: str = "department",
    weight: str = "weight",
    channels: PairChannels | None = None,
    monthly: Mapping[str, Mapping[str, float]] | None = None,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    multiplicity: Sequence[float] | None = None,
) -> dict[str, LiaisonScore]:
    """IT–business liaison score (0–100) of every business unit, with its components.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph with vertex ``name``, ``is_it`` and ``unit``
        and edge strengths in ``weight``.
    unit : str
        Vertex attribute naming business units; all IT people form one side.
    channels : mapping, optional
        ``frozenset({a, b})`` of person keys to the channels their tie was
        seen on (see :func:`pair_channels`); gives the channel-mix component.
    monthly : mapping, optional
        Unit to month (``YYYY-MM``) to IT–unit volume (see
        :func:`monthly_liaison_volume`); gives the recency component.
    weights : mapping
        Weight of each component; :data:`DEFAULT_WEIGHTS` by default.
    multiplicity : sequence of float, optional
        A weight per person (vertex order), such as bootstrap draws: tie
        strengths are multiplied by both ends' multiplicities and coverage
        counts people by multiplicity. Default 1 for everyone.

    Returns
    -------
    dict
        Business unit to :class:`LiaisonScore`, for every unit of non-IT people.

    Notes
    -----
    Components, each scaled to [0, 1]:

    * **volume**: ``r / (1 + r)`` with ``r = it_share / expected``, where
      ``it_share`` is the share of the unit's external strength that goes to
      IT and ``expected = |IT| / (N − |unit|)`` is that share under random
      mixing (0.5 at parity; it does not saturate, so heavy IT users still
      differ);
    * **breadth**: the share of the unit's people with at least one IT tie;
    * **redundancy**: ``½(1 − 1/paths) + ½(1 − H)`` with ``paths`` the
      node-disjoint unit–IT paths inside the unit and IT (a maximum matching
      on the cross ties, see :mod:`analysis.risk`) and ``H`` the Herfindahl
      concentration of the volume over IT people; a single liaison gives 0;
    * **relational**: the share of cross ties seen outside tickets;
    * **recency**: ``½ + ½·tanh(trend / 0.1)``, ``trend`` being the relative
      least-squares slope of monthly volume (:func:`volume_trend`).

    ``score = 100 · Σ wᵢ·xᵢ / Σ wᵢ`` over the available components.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational
    crises. Social Psychology Quarterly 51(2), 123–140. https://doi.org/10.2307/2786835

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 2), (3, 4), (3, 5)])
    >>> g.vs["name"] = ["s1", "s2", "it1", "f1", "it2", "it3"]
    >>> g.vs["department"] = ["Sales", "Sales", "IT", "Finance", "IT", "IT"]
    >>> g.vs["is_it"] = [False, False, True, False, True, True]
    >>> g.es["weight"] = [1.0, 1.0, 1.0, 1.0]
    >>> r = liaison_score(g)
    >>> r["Sales"].paths, r["Sales"].components["redundancy"], r["Finance"].paths
    (1, 0.0, 1)
    >>> round(r["Sales"].score, 1), round(r["Finance"].score, 1)
    (45.7, 57.5)
    """
    context = _context(graph, unit=unit, weight=weight, multiplicity=multiplicity)
    blocks = _blocks(graph, context, unit=unit, it_group=None)
    return {
        key: _score(block, context, channels, (monthly or {}).get(key), weights)
        for key, block in blocks.items()
    }


def it_team_liaison_score(
    graph: ig.Graph,
    *,
    unit: str = "department",
    it_team: str = "team",
    weight: str = "weight",
    channels: PairChannels | None = None,
    monthly: Mapping[tuple[str, str], Mapping[str, float]] | None = None,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    multiplicity: Sequence[float] | None = None,
) -> dict[tuple[str, str], LiaisonScore]:
    """Liaison score of every (IT team, business unit) pair that has a tie.

    Parameters
    ----------
    graph : igraph.Graph
        As in :func:`liaison_score`; IT people carry ``it_team``.
    it_team : str
        Vertex attribute that splits IT into teams.
    unit, weight, channels, weights, multiplicity
        As in :func:`liaison_score`.
    monthly : mapping, optional
        (IT team, unit) to month to volume (``monthly_liaison_volume(...,
        it_team="team")``).

    Returns
    -------
    dict
        (IT team, unit) to :class:`LiaisonScore`; the IT side of every
        component is the team (``expected`` uses the team's size).

    Notes
    -----
    The components and weights of :func:`liaison_score`, with one IT team as
    the IT side: ``expected`` uses the team's size, ``paths`` count
    node-disjoint paths between the unit and the team (inside the two), and
    the Herfindahl concentration runs over the team's members. Undirected;
    ``weight`` is a strength. Only pairs with at least one tie are returned.

    References
    ----------
    Marsden, P. V. & Campbell, K. E. (1984). Measuring tie strength. Social
    Forces 63(2), 482–501. https://doi.org/10.2307/2579058

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 2), (1, 3)])
    >>> g.vs["name"] = ["s1", "s2", "d1", "n1"]
    >>> g.vs["department"] = ["Sales", "Sales", "IT", "IT"]
    >>> g.vs["team"] = ["Sales/A", "Sales/A", "IT/Desk", "IT/Network"]
    >>> g.vs["is_it"] = [False, False, True, True]
    >>> g.es["weight"] = [1.0, 3.0]
    >>> r = it_team_liaison_score(g)
    >>> sorted(r), r[("IT/Desk", "Sales")].coverage
    ([('IT/Desk', 'Sales'), ('IT/Network', 'Sales')], 0.5)
    """
    context = _context(graph, unit=unit, weight=weight, multiplicity=multiplicity)
    blocks = _blocks(graph, context, unit=unit, it_group=it_team)
    return {
        key: _score(block, context, channels, (monthly or {}).get(key), weights)
        for key, block in blocks.items()
    }


def pair_channels(ties: Iterable[Tie]) -> dict[frozenset[str], frozenset[Channel]]:
    """The channels each unordered pair of people was seen on.

    Parameters
    ----------
    ties : iterable of Tie
        Aggregated ties (any window, any direction).

    Returns
    -------
    dict
        ``frozenset({source, target})`` to the set of channels.

    Notes
    -----
    Direction and month are ignored: a pair's set is the union of the
    channels of every tie between the two people. A pair seen only in tickets
    is *transactional* in the channel mix; any other channel makes it
    *relational*, and the size of the set is the tie's multiplexity.

    References
    ----------
    Verbrugge, L. M. (1979). Multiplexity in adult friendships. Social Forces
    57(4), 1286–1309. https://doi.org/10.2307/2577271

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> ties = [Tie("a", "b", Channel.TICKET, 1, 1.0, t, t), Tie("b", "a", Channel.EMAIL, 1, 1.0, t, t)]
    >>> sorted(c.value for c in pair_channels(ties)[frozenset({"a", "b"})])
    ['email', 'ticket']
    """
    found: dict[frozenset[str], set[Channel]] = defaultdict(set)
    for tie in ties:
        found[frozenset((tie.source, tie.target))].add(Channel(tie.channel))
    return {pair: frozenset(chans) for pair, chans in found.items()}


def monthly_liaison_volume(
    graph: ig.Graph,
    ties: Iterable[Tie],
    *,
    unit: str = "department",
    it_team: str | None = None,
    months: Sequence[str] | None = None,
) -> dict[Hashable, dict[str, float]]:
    """IT–unit tie strength per month, for the recency component.

    Parameters
    ----------
    graph : igraph.Graph
        Gives each person's ``unit``, ``is_it`` (and ``it_team``) by ``name``.
    ties : iterable of Tie
        Ties aggregated by month (``Tie.month`` set); others are ignored.
    unit : str
        Vertex attribute naming business units.
    it_team : str, optional
        Split IT by this attribute: keys become (IT team, unit) pairs.
    months : sequence of str, optional
        The window's months; every key gets every month (0 when quiet).
        Defaults to the months seen in ``ties``.

    Returns
    -------
    dict
        Unit (or (IT team, unit)) to month to summed strength.

    Notes
    -----
    Volume is the summed ``Tie.weight`` (a strength) of IT–unit ties in each
    month, both directions together. Ties naming people absent from
    ``graph`` are ignored.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> g = ig.Graph(n=2)
    >>> g.vs["name"], g.vs["department"], g.vs["is_it"] = ["s", "i"], ["Sales", "IT"], [False, True]
    >>> ties = [Tie("s", "i", Channel.EMAIL, 1, 2.0, t, t, "2025-01")]
    >>> monthly_liaison_volume(g, ties, months=["2025-01", "2025-02"])
    {'Sales': {'2025-01': 2.0, '2025-02': 0.0}}
    """
    index = {name: v for v, name in enumerate(graph.vs["name"] if graph.vcount() else [])}
    sides = _sides(graph, unit=unit, it_group=it_team)
    volume: dict[Hashable, Counter[str]] = defaultdict(Counter)
    seen: set[str] = set()
    for tie in ties:
        a, b = index.get(tie.source), index.get(tie.target)
        key = sides(a, b) if a is not None and b is not None and tie.month else None
        if key is not None:
            volume[key[0]][tie.month] += tie.weight  # type: ignore[index]
            seen.add(tie.month)  # type: ignore[arg-type]
    keys = set(volume) if it_team else set(volume) | _business_units(graph, unit)
    span = sorted(months) if months is not None else sorted(seen)
    return {k: {m: float(volume[k][m]) for m in span} for k in sorted(keys, key=str)}


def edge_channels(
    graph: ig.Graph, *, attribute: str = "channels"
) -> dict[frozenset[str], frozenset[Channel]]:
    """:func:`pair_channels` of the IT–business edges, from a channel bit-mask edge attribute.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected person graph whose edges carry ``attribute``: bit ``k`` set
        when the pair was seen on ``analysis.ties.CHANNELS[k]`` (as
        :func:`analysis.build.pair_graph` gives).

    Returns
    -------
    dict
        ``frozenset({a, b})`` to channels, for the edges between an IT person
        and anyone else (the only pairs :func:`liaison_score` looks up).

    Examples
    --------
    >>> g = ig.Graph(edges=[(0, 1), (1, 2)])
    >>> g.vs["name"], g.vs["is_it"] = ["s", "i", "t"], [False, True, True]
    >>> g.es["channels"] = [0b1010, 0b0010]  # email and ticket; email
    >>> {tuple(sorted(k)): sorted(c.value for c in v) for k, v in edge_channels(g).items()}
    {('i', 's'): ['email', 'ticket']}
    """
    if not graph.ecount():
        return {}
    flags = np.asarray(graph.vs["is_it"], dtype=bool)
    edges = edge_array(graph)
    cross = np.flatnonzero(flags[edges[:, 0]] != flags[edges[:, 1]])
    names = graph.vs["name"]
    masks = np.asarray(graph.es[attribute], dtype=np.int64)[cross].tolist()
    sets = {m: frozenset(c for k, c in enumerate(CHANNELS) if m >> k & 1) for m in set(masks)}
    return {
        frozenset((names[a], names[b])): sets[m]
        for (a, b), m in zip(edges[cross].tolist(), masks, strict=True)
    }


def monthly_volume(
    graph: ig.Graph, table: TieTable, *, unit: str = "department"
) -> dict[str, dict[str, float]]:
    """:func:`monthly_liaison_volume` (units, not IT teams) from a :class:`~analysis.ties.TieTable`.

    ``graph`` must be built from ``table`` (the same people in the same
    order, :func:`analysis.build.pair_graph`). Months are those in which any
    IT–unit tie was seen; every business unit gets every such month.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from analysis.ties import TieTable
    >>> from ingest.records import Person
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> people = [Person("i", department="IT", is_it=True), Person("s", department="Sales")]
    >>> table = TieTable.from_ties(people, [Tie("s", "i", Channel.EMAIL, 1, 2.0, t, t, "2025-01")])
    >>> g = ig.Graph(n=2)
    >>> g.vs["name"], g.vs["department"], g.vs["is_it"] = ["i", "s"], ["IT", "Sales"], [True, False]
    >>> monthly_volume(g, table)
    {'Sales': {'2025-01': 2.0}}
    """
    n = graph.vcount()
    if n != len(table.people):
        raise ValueError("the graph must be built from the table (same people, same order)")
    units = np.asarray(graph.vs[unit] if n else [], dtype=object)
    is_it = np.asarray(graph.vs["is_it"] if n else [], dtype=bool)
    names = sorted(_business_units(graph, unit))
    code = {u: k for k, u in enumerate(names)}
    unit_code = np.asarray(
        [
            code.get(u, -1) if not it else -1
            for u, it in zip(units.tolist(), is_it.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    src, dst = table.source.astype(np.int64), table.target.astype(np.int64)
    known = (src < n) & (dst < n) & (table.month >= 0)
    src, dst = src[known], dst[known]
    month, weight = table.month[known].astype(np.int64), table.weight[known]
    crossing = is_it[src] != is_it[dst]
    other = np.where(is_it[src], dst, src)[crossing]
    owner = unit_code[other]
    keep = owner >= 0
    month, weight, owner = month[crossing][keep], weight[crossing][keep], owner[keep]
    span = len(table.months)
    volume = np.bincount(owner * span + month, weight, len(names) * span).reshape(len(names), span)
    seen = np.flatnonzero(np.bincount(month, minlength=span) > 0)
    return {u: {table.months[m]: float(volume[k, m]) for m in seen} for k, u in enumerate(names)}


def volume_trend(volumes: Mapping[str, float]) -> float | None:
    """Relative monthly trend: least-squares slope over the mean volume.

    Parameters
    ----------
    volumes : mapping
        Month (``YYYY-MM``) to volume. Months missing between the first and
        the last month count as 0, so give the whole window (quiet months
        included) or the trend misses a fade-out at the end.

    Returns
    -------
    float or None
        Slope per month divided by the mean volume (0.1 = +10 % of the mean
        per month); ``None`` for fewer than two months or no volume.

    Notes
    -----
    Ordinary least squares of volume on the month number. Dividing by the
    mean makes units of different sizes comparable.

    Examples
    --------
    >>> volume_trend({"2025-01": 1.0, "2025-02": 2.0, "2025-03": 3.0})
    0.5
    >>> volume_trend({"2025-01": 4.0, "2025-03": 0.0})  # February counts as 0
    -1.5
    """
    if len(volumes) < 2:
        return None
    index = {_month_number(m): v for m, v in volumes.items()}
    x = np.arange(min(index), max(index) + 1, dtype=float)
    y = np.array([index.get(int(m), 0.0) for m in x])
    if y.mean() <= 0:
        return None
    slope = float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())
    return slope / float(y.mean())


# --- blocks ----------------------------------------------------------------


def _context(
    graph: ig.Graph, *, unit: str, weight: str, multiplicity: Sequence[float] | None
) -> _Context:
    n = graph.vcount()
    units = np.array(graph.vs[unit] if n else [], dtype=object)
    is_it = np.array(graph.vs["is_it"] if n else [], dtype=bool)
    mass = np.ones(n) if multiplicity is None else np.asarray(multiplicity, dtype=float)
    edges = edge_array(graph)
    w = np.asarray(graph.es[weight], dtype=float) if len(edges) else np.zeros(0)
    strengths = w * mass[edges[:, 0]] * mass[edges[:, 1]]
    names, codes = np.unique(units, return_inverse=True) if n else ([], np.zeros(0, int))
    crossing = codes[edges[:, 0]] != codes[edges[:, 1]]
    external = np.zeros(len(names))
    for end in (edges[crossing, 0], edges[crossing, 1]):
        external += np.bincount(codes[end], weights=strengths[crossing], minlength=len(names))
    business = (units != "") & ~is_it
    sizes = Counter(units[business].tolist())
    masses = np.bincount(codes[business], weights=mass[business], minlength=len(names))
    return _Context(
        graph.vs["name"] if n else [],
        mass,
        edges,
        strengths,
        sizes,
        {u: float(masses[k]) for k, u in enumerate(names) if u in sizes},
        {u: float(external[k]) for k, u in enumerate(names)},
        float(mass.sum()),
    )


def _business_units(graph: ig.Graph, unit: str) -> set[str]:
    """Units with at least one non-IT person."""
    if not graph.vcount():
        return set()
    return {u for u, it in zip(graph.vs[unit], graph.vs["is_it"], strict=True) if u and not it}


def _sides(graph: ig.Graph, *, unit: str, it_group: str | None):
    """Edge (a, b) -> (block key, unit person, IT person), or None if not IT–business."""
    n = graph.vcount()
    units = graph.vs[unit] if n else []
    is_it = graph.vs["is_it"] if n else []
    groups = graph.vs[it_group] if n and it_group else ["IT"] * n

    def sides(a: int, b: int) -> tuple[Hashable, int, int] | None:
        if is_it[a] == is_it[b]:
            return None
        it_person, other = (a, b) if is_it[a] else (b, a)
        if not units[other]:
            return None
        key = units[other] if it_group is None else (groups[it_person], units[other])
        return key, other, it_person

    return sides


def _blocks(
    graph: ig.Graph, context: _Context, *, unit: str, it_group: str | None
) -> dict[Hashable, _Block]:
    n = graph.vcount()
    groups = graph.vs[it_group] if n and it_group else ["IT"] * n
    is_it = graph.vs["is_it"] if n else []
    it_sizes = Counter(g for g, it in zip(groups, is_it, strict=True) if it)
    blocks: dict[Hashable, _Block] = {}
    if it_group is None:
        blocks = {u: _Block(u, "IT", it_sizes["IT"], []) for u in sorted(context.unit_size)}
    sides = _sides(graph, unit=unit, it_group=it_group)
    flags = np.asarray(is_it, dtype=bool)
    edges, strengths = context.edges, context.strengths
    cross = np.flatnonzero((strengths > 0) & (flags[edges[:, 0]] != flags[edges[:, 1]]))
    for (a, b), w in zip(edges[cross].tolist(), strengths[cross].tolist(), strict=True):
        found = sides(a, b)
        if found is None or (found[0] not in blocks and it_group is None):
            continue
        key, person, it_person = found
        if key not in blocks:
            blocks[key] = _Block(key[1], key[0], it_sizes[key[0]], [])
        blocks[key].ties.append((person, it_person, w))
    return dict(sorted(blocks.items(), key=lambda kv: str(kv[0])))


# --- scoring ---------------------------------------------------------------


def _score(
    block: _Block,
    context: _Context,
    channels: PairChannels | None,
    monthly: Mapping[str, float] | None,
    weights: Mapping[str, float],
) -> LiaisonScore:
    names, mass = context.names, context.mass
    carried: Counter[str] = Counter()
    for _, it_person, w in block.ties:
        carried[names[it_person]] += w
    reached = {person for person, _, _ in block.ties}
    size = context.unit_size[block.unit]
    liaison = _liaison(block.unit, size, block.it_size, carried, len(reached))
    external = context.external.get(block.unit, 0.0)
    it_share = liaison.volume / external if external else None
    unit_mass = context.unit_mass[block.unit]
    coverage = float(sum(mass[p] for p in reached) / unit_mass) if unit_mass else 0.0
    paths = disjoint_paths((p, i) for p, i, _ in block.ties)
    mix = _channel_mix(block, names, channels) if channels is not None else None
    trend = volume_trend(monthly) if monthly is not None else None
    expected = block.it_size / (context.people - unit_mass) if context.people > unit_mass else 0
    components = {
        "volume": _ratio_score(it_share / expected) if it_share and expected else 0.0,
        "breadth": coverage,
        "redundancy": _redundancy(paths, liaison.concentration),
        "relational": mix.relational if mix else None,
        "recency": 0.5 + 0.5 * math.tanh(trend / TREND_SCALE) if trend is not None else None,
    }
    return LiaisonScore(
        block.unit, block.it_side, _compose(components, weights), components,
        liaison, it_share, coverage, paths, mix, trend,
    )  # fmt: skip


def _ratio_score(ratio: float) -> float:
    """Map an observed/expected ratio to [0, 1): 0.5 at parity."""
    return ratio / (1.0 + ratio)


def _redundancy(paths: int, concentration: float | None) -> float:
    """½(1 − 1/paths) + ½(1 − H): 0 for one liaison, towards 1 for many even ones."""
    if not paths or concentration is None:
        return 0.0
    return 0.5 * (1.0 - 1.0 / paths) + 0.5 * (1.0 - concentration)


def _channel_mix(block: _Block, names: list[str], channels: PairChannels) -> ChannelMix | None:
    sets = [channels.get(frozenset((names[p], names[i]))) for p, i, _ in block.ties]
    known = [{Channel(c) for c in s} for s in sets if s]
    if not known:
        return None
    ticket_only = sum(1 for s in known if s == {Channel.TICKET})
    return ChannelMix(len(known), ticket_only / len(known), sum(map(len, known)) / len(known))


def _compose(components: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    present = {k: v for k, v in components.items() if v is not None and weights.get(k)}
    total = sum(weights[k] for k in present)
    return 100.0 * sum(weights[k] * v for k, v in present.items()) / total if total else 0.0


def _month_number(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1
