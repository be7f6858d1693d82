// The liaison matrix: a click on a cell shows the people and ties behind it.
// Cells are real links to the drill page; with JavaScript the same data comes
// from the API and opens in a panel under the matrix. Text from the data is
// always set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const table = document.getElementById("matrix");
  const panel = document.getElementById("cell-panel");
  if (!table || !panel) return;
  const COMPONENTS = ["volume", "breadth", "redundancy", "relational", "recency"];
  let current = null;

  // el("p", {className: "sub"}, "text", child, ...) → a new element.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function pct(x) { return x === null || x === undefined ? "n/a" : Math.round(100 * x) + " %"; }
  function level(x) { return x === null || x === undefined ? "bar-none" : "lvl-" + Math.round(10 * x); }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function person(p) {
    return p.url ? el("a", { href: p.url }, p.label) : el("span", {}, p.label);
  }

  function figures(data) {
    const list = el("dl", { className: "components" });
    for (const name of COMPONENTS) {
      const value = data.components[name];
      list.append(el("div", {},
        el("dt", {}, name),
        el("dd", {}, el("span", { className: "meter" }, el("span", { className: "fill " + level(value) })), " " + pct(value))));
    }
    const facts = [
      `${data.interactions} interactions between ${plural(data.pairs, "pair", "pairs")} of people`,
      `${plural(data.it_people, "IT person", "IT people")}, ${plural(data.unit_people, "business person", "business people")}`,
      plural(data.paths, "independent path", "independent paths"),
      "coverage " + pct(data.coverage),
    ];
    if (data.channel_mix) facts.push(pct(data.channel_mix.transactional) + " ticket-only ties");
    return el("div", { className: "drill-figures" },
      el("span", { className: "score-badge heat-" + data.heat }, Math.round(data.score)),
      list,
      el("p", { className: "facts" }, facts.join(" · ")));
  }

  function side(title, people, id, withTeam) {
    const list = el("ul", { className: "people", id: id });
    for (const p of people) {
      const detail = (withTeam && p.team ? p.team + " · " : "") + "strength " + p.weight;
      list.append(el("li", {}, person(p), " ", el("span", { className: "sub" }, detail)));
    }
    return el("section", {}, el("h3", {}, `${title} (${people.length})`), list);
  }

  function tiesTable(data) {
    const head = el("tr", {},
      el("th", {}, data.unit), el("th", {}, data.it_team_label),
      el("th", { className: "num" }, "strength"), el("th", { className: "num" }, "interactions"),
      el("th", {}, "channels"));
    const body = el("tbody");
    for (const t of data.ties) {
      body.append(el("tr", {},
        el("td", {}, person(t.person)), el("td", {}, person(t.it_person)),
        el("td", { className: "num" }, t.weight), el("td", { className: "num" }, t.count),
        el("td", {}, t.channels.join(", "))));
    }
    return el("table", { className: "data", id: "cell-ties" }, el("thead", {}, head), body);
  }

  function render(data, pageUrl) {
    const close = el("button", { type: "button", className: "close", title: "Close" }, "×");
    close.addEventListener("click", hide);
    const title = el("h2", {}, data.unit + " × ", el("a", { href: data.it_team_url }, data.it_team));
    const parts = [el("div", { className: "drill-head" }, title, close)];
    if (data.state === "hidden") {
      parts.push(el("p", { className: "empty" }, data.message));
    } else if (data.state === "empty") {
      parts.push(el("p", { className: "empty" }, `No ties between ${data.unit} and ${data.it_team} in this window.`));
    } else {
      parts.push(figures(data));
      parts.push(el("div", { className: "sides" },
        side(data.unit, data.business, "business-side", true),
        side(data.it_team_label, data.it, "it-side", false)));
      parts.push(el("h3", {}, "Ties, strongest first"), tiesTable(data));
    }
    parts.push(el("p", {}, el("a", { href: pageUrl }, "Open this cell on its own page")));
    panel.replaceChildren(...parts);
  }

  function hide() {
    panel.hidden = true;
    if (current) current.classList.remove("selected");
    current = null;
  }

  async function open(link) {
    if (current) current.classList.remove("selected");
    current = link.closest("td");
    current.classList.add("selected");
    panel.hidden = false;
    panel.replaceChildren(el("p", { className: "status" }, "Loading…"));
    try {
      const response = await fetch(link.dataset.api, { headers: { Accept: "application/json" } });
      const data = await response.json();
      if (!data.ok) throw new Error(data.error || response.statusText);
      render(data, link.href);
    } catch (err) {
      panel.replaceChildren(el("p", { className: "empty" }, "Could not load this cell: " + err.message));
    }
    panel.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  table.addEventListener("click", (evt) => {
    const link = evt.target.closest("a.cell-link");
    if (!link || evt.button !== 0 || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey) return;
    evt.preventDefault();
    open(link);
  });
  document.addEventListener("keydown", (evt) => { if (evt.key === "Escape" && !panel.hidden) hide(); });
})();
