"""Draw a positioned graph as a picture: one scene, written as SVG or PNG.

:func:`map_scene` turns positions in the unit square (see
:func:`analysis.maps.layout`), node sizes and edge weights into shapes in
pixels; :func:`to_svg` and :func:`to_png` write the same scene, so both
pictures agree. Nothing here reads a store or knows about teams.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr

# Characters XML 1.0 forbids even when escaped (control characters but tab, LF, CR).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Circle:
    """A node: centre, radius in pixels, fill colour and a tooltip."""

    x: float
    y: float
    r: float
    fill: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    """An edge from one point to another, ``width`` pixels wide."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float


@dataclass(frozen=True, slots=True)
class Label:
    """Text centred on ``x`` with its top at ``y``."""

    x: float
    y: float
    text: str
    size: float = 12.0


@dataclass(slots=True)
class Scene:
    """Everything to draw, in pixels, back to front: lines, circles, labels, legend."""

    width: int
    height: int
    lines: list[Line] = field(default_factory=list)
    circles: list[Circle] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""
    edge_colour: str = "#8a93a3"
    edge_opacity: float = 0.55


def map_scene(
    positions: Sequence[tuple[float, float]],
    sizes: Sequence[float],
    colours: Sequence[str],
    labels: Sequence[str],
    edges: Sequence[tuple[int, int]],
    weights: Sequence[float],
    *,
    width: int = 1200,
    height: int = 900,
    margin: float = 70.0,
    radius: tuple[float, float] = (8.0, 40.0),
    line_width: tuple[float, float] = (0.6, 10.0),
    titles: Sequence[str] | None = None,
) -> Scene:
    """Lay out nodes and edges in pixels.

    Parameters
    ----------
    positions : sequence of (x, y)
        Node positions in the unit square, as :func:`analysis.maps.layout` gives.
    sizes : sequence of float
        Node sizes (e.g. headcount); the circle's *area* grows with size.
    colours : sequence of str
        Fill colour of each node (CSS colour, ``#rrggbb``).
    labels : sequence of str
        Text drawn under each node.
    edges : sequence of (int, int)
        Pairs of node indices.
    weights : sequence of float
        Edge weights (strengths); a line's width grows with its weight.
    width, height : int
        Picture size in pixels.
    margin : float
        Room kept free around the drawing, in pixels (labels sit in it).
    radius, line_width : (float, float)
        Smallest and largest circle radius and line width, in pixels.
    titles : sequence of str, optional
        Tooltips of the nodes (defaults to ``labels``).

    Returns
    -------
    Scene
        The positions' bounding box is scaled by one factor on both axes
        (no distortion) to fill the picture within the margin, and centred; lines are ordered thinnest first so that
        strong ties stay on top.

    Examples
    --------
    >>> s = map_scene([(0, 0), (1, 1)], [0, 4], ["#000", "#fff"], ["a", "b"], [(0, 1)], [2.0],
    ...               width=200, height=200, margin=20, radius=(5, 10))
    >>> [(c.x, c.y, c.r) for c in s.circles]
    [(20.0, 20.0, 5.0), (180.0, 180.0, 10.0)]
    >>> s.lines[0].width
    10.0
    """
    n = len(positions)
    if not (len(sizes) == len(colours) == len(labels) == n) or len(edges) != len(weights):
        raise ValueError("positions, sizes, colours and labels (and edges, weights) must align")
    titles = list(titles) if titles is not None else list(labels)
    points = _fit(positions, width, height, margin)
    biggest = max(sizes, default=0) or 1
    low_r, high_r = radius
    radii = [
        low_r + (high_r - low_r) * math.sqrt(max(s, 0) / biggest) if biggest else low_r
        for s in sizes
    ]
    scene = Scene(width, height)
    heaviest = max(weights, default=0) or 1
    low_w, high_w = line_width
    for (a, b), w in sorted(zip(edges, weights, strict=True), key=lambda e: e[1]):
        (x1, y1), (x2, y2) = points[a], points[b]
        scene.lines.append(Line(x1, y1, x2, y2, low_w + (high_w - low_w) * max(w, 0) / heaviest))
    for (x, y), r, colour, label, title in zip(points, radii, colours, labels, titles, strict=True):
        scene.circles.append(Circle(x, y, r, colour, title))
        scene.labels.append(Label(x, y + r + 3, label))
    return scene


def _fit(
    positions: Sequence[tuple[float, float]], width: float, height: float, margin: float
) -> list[tuple[float, float]]:
    """Scale and centre positions into the picture, one factor for both axes."""
    if not positions:
        return []
    xs = [x for x, _ in positions]
    ys = [y for _, y in positions]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    room_x, room_y = max(width - 2 * margin, 1.0), max(height - 2 * margin, 1.0)
    scale = min(room_x / span_x if span_x else math.inf, room_y / span_y if span_y else math.inf)
    scale = 0.0 if math.isinf(scale) else scale
    left = (width - span_x * scale) / 2
    top = (height - span_y * scale) / 2
    return [(left + (x - min(xs)) * scale, top + (y - min(ys)) * scale) for x, y in positions]


def xml_text(text: str) -> str:
    """Text made safe inside an XML element (escaped, forbidden characters dropped).

    >>> xml_text('<b>"Tom & Jerry"</b>\\x07')
    '&lt;b&gt;"Tom &amp; Jerry"&lt;/b&gt;'
    """
    return escape(NOT_XML.sub("", text))


def xml_attr(text: str) -> str:
    """Text made safe as an XML attribute value, quotes included.

    >>> xml_attr('a "b" & <c>')
    '\\'a "b" &amp; &lt;c&gt;\\''
    """
    return quoteattr(NOT_XML.sub("", text))


def to_svg(scene: Scene) -> str:
    """The scene as a standalone SVG document.

    Nodes are ``<circle class="node">`` elements with a ``<title>`` tooltip;
    legend swatches are rectangles, so counting circles counts nodes.

    Examples
    --------
    >>> s = map_scene([(0.5, 0.5)], [3], ["#2f6fb3"], ["R&D <core>"], [], [], width=100, height=100)
    >>> svg = to_svg(s)
    >>> svg.count("<circle"), "R&amp;D &lt;core&gt;" in svg
    (1, True)
    """
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}" height="{scene.height}" '
        f'viewBox="0 0 {scene.width} {scene.height}" font-family="system-ui, sans-serif">',
    ]
    if scene.title:
        out.append(f"<title>{xml_text(scene.title)}</title>")
    out.append(f'<rect width="{scene.width}" height="{scene.height}" fill="#ffffff"/>')
    out.append(
        f'<g class="edges" stroke={xml_attr(scene.edge_colour)} '
        f'stroke-opacity="{scene.edge_opacity}" stroke-linecap="round">'
    )
    for line in scene.lines:
        out.append(
            f'<line x1="{line.x1:.1f}" y1="{line.y1:.1f}" x2="{line.x2:.1f}" y2="{line.y2:.1f}" '
            f'stroke-width="{line.width:.2f}"/>'
        )
    out.append('</g>\n<g class="nodes" stroke="#ffffff" stroke-width="1.5">')
    for c in scene.circles:
        out.append(
            f'<circle class="node" cx="{c.x:.1f}" cy="{c.y:.1f}" r="{c.r:.1f}" '
            f"fill={xml_attr(c.fill)}><title>{xml_text(c.title)}</title></circle>"
        )
    out.append(
        '</g>\n<g class="labels" text-anchor="middle" fill="#1d2433" stroke="#ffffff" '
        'stroke-width="3" paint-order="stroke" stroke-linejoin="round">'
    )
    for label in scene.labels:
        out.append(
            f'<text x="{label.x:.1f}" y="{label.y + label.size:.1f}" '
            f'font-size="{label.size:g}">{xml_text(label.text)}</text>'
        )
    out.append("</g>")
    if scene.legend:
        out.append('<g class="legend" font-size="13" fill="#1d2433">')
        for i, (colour, text) in enumerate(scene.legend):
            y = 16 + 20 * i
            out.append(
                f'<rect x="16" y="{y}" width="12" height="12" rx="6" fill={xml_attr(colour)}/>'
                f'<text x="34" y="{y + 11}">{xml_text(text)}</text>'
            )
        out.append("</g>")
    out.append("</svg>\n")
    return "\n".join(out)


def to_png(scene: Scene, *, supersample: int = 2) -> bytes:
    """The scene as PNG bytes (drawn with Pillow, smoothed by supersampling).

    Examples
    --------
    >>> s = map_scene([(0, 0), (1, 1)], [1, 1], ["#2f6fb3", "#c2672d"], ["a", "b"], [(0, 1)], [1.0],
    ...               width=120, height=80)
    >>> png = to_png(s)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from PIL import Image
    from PIL import ImageColor
    from PIL import ImageDraw
    from PIL import ImageFont

    k = max(int(supersample), 1)
    image = Image.new("RGB", (scene.width * k, scene.height * k), "#ffffff")
    draw = ImageDraw.Draw(image, "RGBA")
    edge = (*ImageColor.getrgb(scene.edge_colour)[:3], round(255 * scene.edge_opacity))
    for line in scene.lines:
        draw.line(
            [(line.x1 * k, line.y1 * k), (line.x2 * k, line.y2 * k)],
            fill=edge,
            width=max(round(line.width * k), 1),
        )
    for c in scene.circles:
        box = [(c.x - c.r) * k, (c.y - c.r) * k, (c.x + c.r) * k, (c.y + c.r) * k]
        draw.ellipse(box, fill=c.fill, outline="#ffffff", width=max(round(1.5 * k), 1))
    fonts: dict[float, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}
    for label in scene.labels:
        font = fonts.setdefault(label.size, ImageFont.load_default(size=label.size * k))
        draw.text(
            (label.x * k, label.y * k),
            NOT_XML.sub("", label.text),
            fill="#1d2433",
            font=font,
            anchor="mt",
            stroke_width=2 * k,
            stroke_fill="#ffffff",
        )
    legend_font = ImageFont.load_default(size=13 * k)
    for i, (colour, text) in enumerate(scene.legend):
        y = 16 + 20 * i
        draw.ellipse([16 * k, y * k, 28 * k, (y + 12) * k], fill=colour)
        draw.text((34 * k, (y + 6) * k), text, fill="#1d2433", font=legend_font, anchor="lm")
    if k > 1:
        image = image.resize((scene.width, scene.height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
