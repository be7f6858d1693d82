// Small ego maps on the isolated-teams page: one Cytoscape instance per team box,
// loaded when the box scrolls into view. Positions come from the server (igraph
// layout); this file only draws.
(function () {
  "use strict";
  const boxes = document.querySelectorAll(".egomap[data-api]");
  const colours = { it: "#2f6fb3", biz: "#c2672d", hidden: "#b8bfca", ego: "#1d2433" };
  const maps = {};
  // For tests and the browser console: team → its Cytoscape instance.
  window.bridgeworkEgo = { maps: maps };

  function say(box, text) {
    const line = document.createElement("span");
    line.className = "status";
    line.textContent = text;
    box.replaceChildren(line);
  }

  function scale(values, low, high) {
    const max = Math.max(1e-9, ...values);
    return (v) => low + (high - low) * Math.sqrt(v / max);
  }

  function draw(box, data) {
    box.replaceChildren();
    const pad = 30;
    const width = Math.max(40, box.clientWidth - 2 * pad);
    const height = Math.max(40, box.clientHeight - 2 * pad);
    const size = scale(data.nodes.map((n) => n.size || 1), 12, 30);
    // Spokes (the team's own ties) are as wide as their strength against the
    // team's ties inside itself: a team that mostly talks to itself gets thin spokes.
    const spokes = data.edges.filter((e) => e.ego).map((e) => e.weight || 0);
    const top = Math.max(1e-9, data.internal_weight || 0, ...spokes);
    const spokeWidth = (w) => 1 + 9 * Math.sqrt(w / top);
    const elements = [];
    for (const n of data.nodes) {
      elements.push({ group: "nodes", classes: n.ego ? "ego" : "", data: {
        id: n.id, label: n.label, is_it: n.is_it, visible: n.visible, size: n.size || 1,
      }, position: { x: pad + n.x * width, y: pad + n.y * height } });
    }
    for (const e of data.edges) {
      elements.push({ group: "edges", classes: e.ego ? "spoke" : "rim", data: {
        id: e.source + "→" + e.target, source: e.source, target: e.target, weight: e.weight || 0,
        known: e.weight !== undefined,
      } });
    }
    const cy = cytoscape({
      container: box,
      elements: elements,
      layout: { name: "preset", fit: false },
      userZoomingEnabled: false,
      userPanningEnabled: false,
      boxSelectionEnabled: false,
      autoungrabify: true,
      maxZoom: 1.6,
      style: [
        { selector: "node", style: {
          "background-color": (n) => (!n.data("visible") ? colours.hidden : n.data("is_it") ? colours.it : colours.biz),
          width: (n) => size(n.data("size")), height: (n) => size(n.data("size")),
          label: "data(label)", "font-size": 9, color: "#1d2433", "text-valign": "bottom", "text-margin-y": 2,
          "text-wrap": "ellipsis", "text-max-width": 90,
        } },
        { selector: "node.ego", style: { "border-width": 4, "border-color": colours.ego, "font-weight": "bold", "font-size": 10 } },
        { selector: "edge", style: { "curve-style": "haystack" } },
        { selector: "edge.spoke", style: {
          width: (e) => (e.data("known") ? spokeWidth(e.data("weight")) : 1), "line-color": "#5b6475", opacity: 0.85,
        } },
        { selector: "edge.rim", style: { width: 1, "line-color": "#c3cad6", opacity: 0.7 } },
      ],
    });
    cy.fit(cy.elements(), 14);
    cy.on("tap", "node", (evt) => {
      const url = data.nodes.find((n) => n.id === evt.target.id()).url;
      if (url) window.location.href = url;
    });
    maps[data.team] = cy;
    box.dataset.state = "drawn";
    const caption = document.createElement("p");
    caption.className = "ego-caption";
    const strength = (w) => (w >= 10 ? Math.round(w) : w.toFixed(1));
    caption.textContent = data.neighbours
      ? `tied to ${data.neighbours} teams (${data.shown} shown) · strength ${strength(data.external_weight)} outside vs ${strength(data.internal_weight)} inside`
      : "no ties to other teams in this window";
    box.after(caption);
  }

  async function load(box) {
    say(box, "Loading map…");
    try {
      const response = await fetch(box.dataset.api, { headers: { Accept: "application/json" } });
      const data = await response.json();
      if (!data.ok) throw new Error(data.error || response.statusText);
      if (data.hidden) { say(box, data.message); box.dataset.state = "hidden"; return; }
      draw(box, data);
    } catch (err) {
      say(box, "No map: " + err.message);
      box.dataset.state = "failed";
    }
  }

  if (typeof cytoscape === "undefined") {
    for (const box of boxes) say(box, "The map library did not load.");
    return;
  }
  if (!("IntersectionObserver" in window)) {
    for (const box of boxes) load(box);
    return;
  }
  const watcher = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      watcher.unobserve(entry.target);
      load(entry.target);
    }
  }, { rootMargin: "200px" });
  for (const box of boxes) watcher.observe(box);
})();
