"""Drawing a positioned graph: the scene's geometry, and SVG and PNG that parse."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from analysis.render import map_scene
from analysis.render import to_png
from analysis.render import to_svg

SVG = "{http://www.w3.org/2000/svg}"


def triangle(**kwargs):
    return map_scene(
        [(0.0, 0.0), (1.0, 0.0), (0.5, 0.5)],
        [1, 4, 16],
        ["#2f6fb3", "#c2672d", "#c2672d"],
        ["A", "B", "C"],
        [(0, 1), (1, 2)],
        [1.0, 3.0],
        **kwargs,
    )


def test_positions_fill_the_picture_without_distortion():
    scene = triangle(width=400, height=300, margin=50)
    xs = [c.x for c in scene.circles]
    ys = [c.y for c in scene.circles]
    # 1 × 0.5 box: the width limits (300 px of room), so the height uses 150 px, centred.
    assert (min(xs), max(xs)) == (50.0, 350.0)
    assert (min(ys), max(ys)) == (75.0, 225.0)


def test_area_grows_with_size_and_width_with_weight():
    scene = triangle(radius=(4.0, 20.0), line_width=(1.0, 9.0))
    assert [c.r for c in scene.circles] == [8.0, 12.0, 20.0]
    assert [line.width for line in scene.lines] == pytest.approx([1 + 8 / 3, 9.0])


def test_one_node_sits_in_the_middle_and_nothing_needs_no_shapes():
    scene = map_scene([(0.3, 0.7)], [2], ["#000000"], ["only"], [], [], width=200, height=100)
    assert (scene.circles[0].x, scene.circles[0].y) == (100.0, 50.0)
    empty = map_scene([], [], [], [], [], [])
    assert (empty.circles, empty.lines, empty.labels) == ([], [], [])
    assert ET.fromstring(to_svg(empty)).tag == f"{SVG}svg"


def test_misaligned_inputs_are_refused():
    with pytest.raises(ValueError, match="align"):
        map_scene([(0, 0)], [1, 2], ["#000"], ["a"], [], [])


def test_svg_escapes_text_and_drops_characters_xml_forbids():
    scene = map_scene(
        [(0, 0), (1, 1)],
        [1, 1],
        ["#2f6fb3", "#c2672d"],
        ['R&D <"core">', "bell\x07"],
        [(0, 1)],
        [1.0],
        titles=["x' onload='alert(1)", "</title><script>"],
    )
    scene.title = "map & more"
    scene.legend = [("#2f6fb3", "IT <1>")]
    root = ET.fromstring(to_svg(scene))
    assert [t.text for t in root.iter(f"{SVG}text")] == ['R&D <"core">', "bell", "IT <1>"]
    circles = root.findall(f".//{SVG}circle")
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "x' onload='alert(1)",
        "</title><script>",
    ]
    assert all(set(c.attrib) == {"class", "cx", "cy", "r", "fill"} for c in circles)
    assert root.find(f"{SVG}title").text == "map & more"
    assert not root.findall(f".//{SVG}script")


def test_png_has_the_size_and_colours_of_the_scene():
    scene = triangle(width=320, height=240)
    with Image.open(io.BytesIO(to_png(scene))) as image:
        assert image.format == "PNG" and image.size == (320, 240)
        colours = {colour for _, colour in image.getcolors(maxcolors=1_000_000)}
    assert {(0x2F, 0x6F, 0xB3), (0xC2, 0x67, 0x2D), (255, 255, 255)} <= colours
