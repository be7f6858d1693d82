// The network map: teams first, a click drills into a team's people.
// Positions come from the server (igraph layout); this file only draws.
(function () {
  "use strict";
  const box = document.getElementById("map");
  const form = document.getElementById("filters");
  const status = document.getElementById("status");
  const back = document.getElementById("back");
  const details = document.getElementById("details");
  const api = box.dataset.api;
  const colours = { it: "#2f6fb3", biz: "#c2672d" };
  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  document.body.appendChild(tip);
  let cy = null;
  // For tests and the browser console: the current Cytoscape instance.
  window.bridgeworkMap = { get cy() { return cy; } };

  function query() {
    const params = new URLSearchParams();
    for (const box of form.querySelectorAll("input[name=channel]:checked")) params.append("channel", box.value);
    for (const name of ["since", "until"]) {
      const value = form.elements[name].value;
      if (value) params.set(name, value);
    }
    return params.toString();
  }

  async function fetchJson(url) {
    const response = await fetch(url);
    const body = await response.json();
    if (!body.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function scale(values, low, high) {
    const max = Math.max(1e-9, ...values);
    return (v) => low + (high - low) * Math.sqrt(v / max);
  }

  function draw(elements, nodeSize, edgeWidth) {
    if (cy) cy.destroy();
    const width = box.clientWidth - 60;
    const height = box.clientHeight - 60;
    for (const el of elements) {
      if (el.position) el.position = { x: 30 + el.position.x * width, y: 30 + el.position.y * height };
    }
    cy = cytoscape({
      container: box,
      elements: elements,
      layout: { name: "preset", fit: false },
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: {
          "background-color": (n) => (n.data("is_it") ? colours.it : colours.biz),
          label: "data(label)", "font-size": 10, color: "#1d2433",
          width: (n) => nodeSize(n.data("weightForSize")), height: (n) => nodeSize(n.data("weightForSize")),
        } },
        { selector: "node.match", style: { "border-width": 4, "border-color": "#f2c12e" } },
        { selector: "edge", style: {
          width: (e) => edgeWidth(e.data("weight")), "line-color": "#9aa5b8", opacity: 0.55, "curve-style": "haystack",
        } },
      ],
    });
    cy.on("mouseover", "node, edge", (evt) => { tip.textContent = evt.target.data("tip"); tip.hidden = false; });
    cy.on("mousemove", (evt) => {
      const e = evt.originalEvent;
      if (e) { tip.style.left = e.clientX + 12 + "px"; tip.style.top = e.clientY + 12 + "px"; }
    });
    cy.on("mouseout", "node, edge", () => { tip.hidden = true; });
    highlight();
  }

  function highlight() {
    if (!cy) return;
    const needle = form.elements.find.value.trim().toLowerCase();
    cy.nodes().removeClass("match");
    if (needle) cy.nodes().filter((n) => n.data("label").toLowerCase().includes(needle)).addClass("match");
  }

  async function showTeams() {
    status.textContent = "Loading teams…";
    back.hidden = true;
    details.hidden = true;
    const data = await fetchJson(api + "?" + query());
    const elements = [];
    for (const n of data.nodes) {
      elements.push({ group: "nodes", data: {
        id: n.id, label: n.label, is_it: n.is_it, weightForSize: n.size,
        tip: `${n.id} · ${n.size} people · ${n.is_it ? "IT" : "business"}`,
      }, position: { x: n.x, y: n.y } });
    }
    for (const e of data.edges) {
      elements.push({ group: "edges", data: {
        id: e.source + "→" + e.target, source: e.source, target: e.target, weight: e.weight,
        tip: `${e.source} ↔ ${e.target}: strength ${e.weight}, ${e.count} interactions between ${e.pairs} pairs of people`,
      } });
    }
    draw(elements, scale(data.nodes.map((n) => n.size), 14, 60), scale(data.edges.map((e) => e.weight), 0.5, 12));
    status.textContent = `${data.nodes.length} teams, ${data.edges.length} team pairs with ties`;
    cy.on("tap", "node", (evt) => showPeople(evt.target.id()));
  }

  async function showPeople(team) {
    status.textContent = "Loading " + team + "…";
    const data = await fetchJson(api + "/" + encodeURIComponent(team).replace(/%2F/g, "/") + "/people?" + query());
    const elements = [];
    for (const n of data.nodes) {
      elements.push({ group: "nodes", data: {
        id: n.id, label: n.label, is_it: n.is_it, weightForSize: (n.scores.strength || 1),
        tip: `${n.label}${n.title ? " · " + n.title : ""} · degree ${n.scores.degree ?? "?"}`,
      }, position: { x: n.x, y: n.y } });
    }
    for (const e of data.edges) {
      elements.push({ group: "edges", data: {
        id: e.source + "→" + e.target, source: e.source, target: e.target, weight: e.weight,
        tip: `strength ${e.weight}, ${e.count} interactions`,
      } });
    }
    draw(elements, scale(data.nodes.map((n) => n.scores.strength || 1), 12, 40), scale(data.edges.map((e) => e.weight), 0.5, 8));
    back.hidden = false;
    status.textContent = `${team}: ${data.nodes.length} people, ${data.edges.length} ties inside the team`;
    const outside = {};
    for (const x of data.external) outside[x.team] = (outside[x.team] || 0) + x.weight;
    const rows = Object.entries(outside).sort((a, b) => b[1] - a[1]).slice(0, 12)
      .map(([t, w]) => `<li>${escapeHtml(t)}: strength ${w.toFixed(1)}</li>`).join("");
    details.innerHTML = `<h2>Ties from ${escapeHtml(team)} to other teams</h2><ul id="outside">${rows || "<li>none</li>"}</ul>`;
    details.hidden = false;
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function fail(err) { status.textContent = "Could not load the map: " + err.message; }

  form.addEventListener("submit", (evt) => { evt.preventDefault(); showTeams().catch(fail); });
  form.elements.find.addEventListener("input", highlight);
  back.addEventListener("click", () => showTeams().catch(fail));
  showTeams().catch(fail);
})();
