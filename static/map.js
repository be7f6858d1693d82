// The network map: teams first, a click drills into a team's people.
// Positions come from the server (igraph layout); this file only draws.
// Text from the server is always set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const box = document.getElementById("map");
  const form = document.getElementById("filters");
  const status = document.getElementById("status");
  const back = document.getElementById("back");
  const details = document.getElementById("details");
  const found = document.getElementById("found");
  const api = box.dataset.api;
  const searchApi = box.dataset.search;
  const colours = { it: "#2f6fb3", biz: "#c2672d", isolated: "#d62839", broker: "#7b2cbf", liaison: "#2a9d8f" };
  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  document.body.appendChild(tip);
  let cy = null;
  let level = "teams";
  let pendingFocus = null;
  // For tests and the browser console: the current Cytoscape instance and level.
  window.bridgeworkMap = { get cy() { return cy; }, get level() { return level; } };

  function query(withUnit) {
    const params = new URLSearchParams();
    for (const input of form.querySelectorAll("input[name=channel]:checked")) params.append("channel", input.value);
    for (const name of ["since", "until"]) {
      const value = form.elements[name].value;
      if (value) params.set(name, value);
    }
    if (withUnit && form.elements.unit.value) params.set("unit", form.elements.unit.value);
    return params.toString();
  }

  async function fetchJson(url) {
    const response = await fetch(url);
    const body = await response.json();
    if (!body.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function scale(values, low, high) {
    const max = values.reduce((a, b) => Math.max(a, b), 1e-9); // no spread: 90,000 edges at 10k people
    return (v) => low + (high - low) * Math.sqrt(v / max);
  }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  function draw(elements, nodeSize, edgeWidth) {
    if (cy) cy.destroy();
    // Margins wide enough for half a label beside the outermost nodes, and a label above the top ones.
    const side = 70;
    const top = 40;
    const width = box.clientWidth - 2 * side;
    const height = box.clientHeight - 2 * top;
    for (const item of elements) {
      if (item.position) item.position = { x: side + item.position.x * width, y: top + item.position.y * height };
    }
    const ring = (colour) => ({ "border-width": 4, "border-color": colour });
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
        { selector: "node.broker", style: ring(colours.broker) },
        { selector: "node.liaison", style: ring(colours.liaison) },
        { selector: "node.isolated", style: ring(colours.isolated) },
        { selector: "node.match", style: { "border-width": 6, "border-color": "#f2c12e", "font-weight": "bold" } },
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
    marks();
    highlight();
  }

  function wanted() {
    return new Set(Array.from(form.querySelectorAll("input[name=mark]:checked"), (input) => input.value));
  }

  function marks() {
    if (!cy) return;
    const show = wanted();
    cy.batch(() => {
      cy.nodes().forEach((n) => {
        for (const mark of ["isolated", "broker", "liaison"]) {
          n.toggleClass(mark, show.has(mark) && n.data("marks").includes(mark));
        }
      });
    });
  }

  function highlight() {
    if (!cy) return;
    const needle = form.elements.find.value.trim().toLowerCase();
    cy.nodes().removeClass("match");
    if (needle) cy.nodes().filter((n) => n.data("label").toLowerCase().includes(needle)).addClass("match");
    if (pendingFocus) {
      cy.getElementById(pendingFocus).addClass("match");
      pendingFocus = null;
    }
  }

  function channelText(channels) {
    return Object.entries(channels).map(([name, n]) => `${n} ${name}`).join(", ");
  }

  async function showTeams() {
    status.textContent = "Loading teams…";
    level = "teams";
    back.hidden = true;
    details.hidden = true;
    const data = await fetchJson(api + "?" + query(true));
    const elements = [];
    for (const n of data.nodes) {
      const flags = [];
      if (n.isolated) flags.push("isolated");
      if (n.brokers) flags.push("broker");
      if (n.liaisons) flags.push("liaison");
      const notes = [n.isolated ? "isolated" : "", n.brokers ? `${n.brokers} broker(s)` : "",
        n.liaisons ? `${n.liaisons} IT liaison(s)` : ""].filter(Boolean);
      elements.push({ group: "nodes", data: {
        id: n.id, label: n.label, is_it: n.is_it, weightForSize: n.size, marks: flags, url: n.url, size: n.size,
        tip: `${n.id} · ${n.size} people · ${n.is_it ? "IT" : "business"}${notes.length ? " · " + notes.join(", ") : ""}`,
      }, position: { x: n.x, y: n.y } });
    }
    // Edges come as rows (data.edge_fields): node indexes, strength, events, pairs, events per channel.
    const ids = data.nodes.map((n) => n.id);
    const weights = [];
    for (const [s, t, weight, count, pairs, perChannel] of data.edges) {
      const source = ids[s];
      const target = ids[t];
      const mix = {};
      data.channels.forEach((name, i) => { if (perChannel[i]) mix[name] = perChannel[i]; });
      weights.push(weight);
      elements.push({ group: "edges", data: {
        id: source + "→" + target, source: source, target: target, weight: weight,
        tip: `${source} ↔ ${target}: strength ${weight}; ${count} interactions (${channelText(mix)}) between ${pairs} pairs of people`,
      } });
    }
    draw(elements, scale(data.nodes.map((n) => n.size), 14, 60), scale(weights, 0.5, 12));
    const unit = data.unit ? ` (${data.unit} and the teams it works with)` : "";
    status.textContent = `${data.nodes.length} teams, ${data.edges.length} team pairs with ties${unit}`;
    cy.on("tap", "node", (evt) => showPeople(evt.target.id()).catch(fail));
  }

  async function showPeople(team, focus) {
    status.textContent = "Loading " + team + "…";
    const path = encodeURIComponent(team).replace(/%2F/g, "/");
    const data = await fetchJson(api + "/" + path + "/people?" + query(false));
    level = "people";
    const elements = [];
    for (const n of data.nodes) {
      const strength = n.scores.strength || 1;
      const notes = n.marks.length ? " · " + n.marks.join(", ") : "";
      elements.push({ group: "nodes", data: {
        id: n.id, label: n.label, is_it: n.is_it, weightForSize: strength, marks: n.marks, url: n.url,
        title: n.title, scores: n.scores,
        tip: `${n.label}${n.title ? " · " + n.title : ""} · degree ${n.scores.degree ?? "?"}${notes}`,
      }, position: { x: n.x, y: n.y } });
    }
    for (const e of data.edges) {
      elements.push({ group: "edges", data: {
        id: e.source + "→" + e.target, source: e.source, target: e.target, weight: e.weight,
        tip: `strength ${e.weight}, ${e.count} interactions`,
      } });
    }
    pendingFocus = focus || null;
    draw(elements, scale(data.nodes.map((n) => n.scores.strength || 1), 12, 40), scale(data.edges.map((e) => e.weight), 0.5, 8));
    back.hidden = false;
    status.textContent = `${team}: ${data.nodes.length} people, ${data.edges.length} ties inside the team`;
    teamDetails(team, data.url, data.external);
    cy.on("tap", "node", (evt) => personDetails(evt.target.data()));
  }

  function teamDetails(team, url, external) {
    const outside = {};
    for (const x of external) outside[x.team] = (outside[x.team] || 0) + x.weight;
    const rows = Object.entries(outside).sort((a, b) => b[1] - a[1]).slice(0, 12);
    details.replaceChildren(el("h2", "Ties from " + team + " to other teams"));
    const list = el("ul", null, { id: "outside" });
    for (const [name, weight] of rows) list.appendChild(el("li", `${name}: strength ${weight.toFixed(1)}`));
    if (!rows.length) list.appendChild(el("li", "none"));
    details.appendChild(list);
    const link = el("a", "Open the team page", { href: url, id: "team-link" });
    details.appendChild(el("p")).appendChild(link);
    details.hidden = false;
  }

  function personDetails(person) {
    details.replaceChildren(el("h2", person.label));
    const s = person.scores || {};
    const facts = [
      person.title || null,
      s.degree !== undefined ? `${s.degree} contacts` : null,
      s.betweenness !== undefined ? `betweenness ${s.betweenness.toFixed(3)}` : null,
      s.constraint !== undefined ? `constraint ${s.constraint.toFixed(2)}` : null,
      person.marks.length ? person.marks.join(", ") : null,
    ].filter(Boolean);
    details.appendChild(el("p", facts.join(" · ")));
    details.appendChild(el("p")).appendChild(el("a", "Open the person page", { href: person.url, id: "person-link" }));
    details.hidden = false;
  }

  let searchTimer = null;
  function search() {
    highlight();
    clearTimeout(searchTimer);
    const needle = form.elements.find.value.trim();
    if (needle.length < 2) { found.hidden = true; return; }
    searchTimer = setTimeout(async () => {
      const data = await fetchJson(searchApi + "?q=" + encodeURIComponent(needle));
      found.replaceChildren();
      for (const t of data.teams) found.appendChild(result("team " + t.team, () => showPeople(t.team)));
      for (const p of data.people) found.appendChild(result(`${p.label} (${p.team})`, () => showPeople(p.team, p.key)));
      if (!found.children.length) found.appendChild(el("li", "nothing found"));
      found.hidden = false;
    }, 200);
  }

  function result(text, action) {
    const item = el("li");
    const button = el("button", text, { type: "button" });
    button.addEventListener("click", () => action().catch(fail));
    item.appendChild(button);
    return item;
  }

  function fail(err) { status.textContent = "Could not load the map: " + err.message; }

  form.addEventListener("submit", (evt) => { evt.preventDefault(); showTeams().catch(fail); });
  form.elements.find.addEventListener("input", search);
  for (const input of form.querySelectorAll("input[name=mark]")) input.addEventListener("change", marks);
  back.addEventListener("click", () => showTeams().catch(fail));
  showTeams().catch(fail);
})();
