/* The Data page: uploads and analysis go through the JSON API; the task list
   polls /api/tasks while something is queued or running, and the ingest runs
   and freshness figures are refreshed when a task ends. Rows are built with
   textContent only (data never goes through innerHTML); they mirror the rows
   of templates/data/_macros.html. */
(function () {
  "use strict";

  const uploadForm = document.getElementById("upload-form");
  const analysisForm = document.getElementById("analysis-form");
  const tasksTable = document.getElementById("tasks");
  const runsTable = document.getElementById("runs");
  if (!uploadForm || !tasksTable || !runsTable) return;

  const ACTIVE = new Set(["queued", "running"]);
  const POLL_MS = 1000;
  const ended = new Set();
  let timer = null;

  // -- small builders ------------------------------------------------------------------

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function when(iso) {
    return iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "—";
  }

  function num(value) {
    return Number(value || 0).toLocaleString("en-US");
  }

  function badge(text, className) {
    return el("span", text, "badge " + className);
  }

  function cell(row, content, className) {
    const td = el("td", null, className);
    if (content instanceof Node) td.appendChild(content);
    else if (content !== undefined && content !== null) td.textContent = String(content);
    row.appendChild(td);
    return td;
  }

  function runLink(id, text) {
    const link = el("a", text);
    link.href = runsTable.dataset.runUrl.replace("RUN_ID", encodeURIComponent(id));
    return link;
  }

  // -- rows ----------------------------------------------------------------------------

  function runRow(run) {
    const row = el("tr", null, "run-" + run.status);
    row.dataset.run = run.id;
    cell(row, when(run.finished), "time");
    cell(row, run.kind);
    cell(row, runLink(run.id, run.file));
    cell(row, badge(run.status, "state-" + run.status));
    for (const name of ["read", "kept", "skipped", "duplicates", "interactions"]) {
      cell(row, num(run[name]), "num").dataset.count = name;
    }
    return row;
  }

  function taskResult(task, td) {
    if (task.state === "failed") td.appendChild(el("span", task.error, "error"));
    const result = task.result;
    if (!result) return;
    if (task.kind === "ingest") {
      td.appendChild(document.createTextNode(
        " read " + num(result.read) + " · kept " + num(result.kept) + " · skipped " + num(result.skipped)));
      for (const file of result.files) {
        if (!file.run) continue;
        td.appendChild(document.createTextNode(" · "));
        td.appendChild(runLink(file.run.id, file.file));
      }
    } else if (task.kind === "analysis") {
      td.appendChild(document.createTextNode(
        num(result.people) + " people · " + num(result.pairs) + " pairs · " + result.jobs + " jobs"));
    }
  }

  function taskRow(task) {
    const row = el("tr");
    row.dataset.task = task.id;
    row.dataset.state = task.state;
    const what = cell(row, badge(task.kind, "kind"));
    what.appendChild(document.createTextNode(" " + task.label));
    cell(row, badge(task.state, "state-" + task.state));
    const progress = cell(row, null, "progress-cell");
    if (task.steps) {
      const bar = el("progress");
      bar.max = task.steps;
      bar.value = task.state === "done" ? task.steps : task.step;
      progress.appendChild(bar);
      progress.appendChild(document.createTextNode(" "));
    }
    progress.appendChild(el("span", task.progress, "task-progress"));
    cell(row, when(task.started), "time");
    taskResult(task, cell(row, null, "task-result"));
    return row;
  }

  function replaceRows(table, rows, emptyText) {
    const body = table.tBodies[0];
    const columns = table.tHead.rows[0].cells.length;
    body.replaceChildren(...rows);
    if (!rows.length) {
      const row = el("tr", null, "none");
      cell(row, emptyText).colSpan = columns;
      body.appendChild(row);
    }
  }

  // -- fetching ------------------------------------------------------------------------

  const csrf = document.querySelector('meta[name="csrf-token"]');

  async function getJson(url, options) {
    const headers = { Accept: "application/json" };
    if (csrf && options && options.method === "POST") headers["X-CSRF-Token"] = csrf.content;
    const response = await fetch(url, Object.assign({ headers: headers }, options));
    let body = {};
    try {
      body = await response.json();
    } catch (err) {
      body = { error: response.status + " " + response.statusText };
    }
    if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
    return body;
  }

  function showFreshness(fresh) {
    for (const node of document.querySelectorAll("[data-fresh]")) {
      const value = fresh[node.dataset.fresh];
      if (node.hasAttribute("data-time")) node.textContent = when(value);
      else if (typeof value === "number") node.textContent = num(value);
      else node.textContent = value === null || value === undefined ? "—" : String(value);
    }
  }

  async function refreshRuns() {
    const body = await getJson(runsTable.dataset.api);
    replaceRows(runsTable, body.runs.map(runRow), "Nothing loaded yet.");
    showFreshness(body.freshness);
  }

  async function refreshTasks() {
    clearTimeout(timer);
    let active = true;
    try {
      const body = await getJson(tasksTable.dataset.api);
      replaceRows(tasksTable, body.tasks.map(taskRow), "No tasks yet.");
      active = body.tasks.some((task) => ACTIVE.has(task.state));
      const finished = body.tasks.filter((task) => !ACTIVE.has(task.state) && !ended.has(task.id));
      finished.forEach((task) => ended.add(task.id));
      if (finished.length) await refreshRuns();
    } catch (err) {
      say(document.getElementById("upload-status"), "Cannot reach the server: " + err.message, true);
    }
    if (active) timer = setTimeout(refreshTasks, POLL_MS);
  }

  // -- forms ---------------------------------------------------------------------------

  function say(node, text, isError) {
    if (!node) return;
    node.textContent = text;
    node.classList.toggle("error", Boolean(isError));
  }

  function submitTo(form, statusId, buttonId, check, started) {
    const status = document.getElementById(statusId);
    const button = document.getElementById(buttonId);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const problem = check ? check() : null;
      if (problem) {
        say(status, problem, true);
        return;
      }
      button.disabled = true;
      say(status, "Sending …");
      try {
        const body = await getJson(form.dataset.api, { method: "POST", body: new FormData(form) });
        say(status, started(body.task));
        await refreshTasks();
      } catch (err) {
        say(status, err.message, true);
      } finally {
        button.disabled = false;
      }
    });
  }

  const kind = document.getElementById("upload-kind");
  const preset = document.getElementById("upload-preset");
  const presetField = document.getElementById("preset-field");
  function showPreset() {
    const tickets = kind.value === "tickets";
    presetField.hidden = !tickets;
    preset.disabled = !tickets;
  }
  kind.addEventListener("change", showPreset);
  showPreset();

  const fileInput = document.getElementById("upload-file");
  const limit = Number(uploadForm.dataset.limit);
  submitTo(uploadForm, "upload-status", "upload-submit", () => {
    if (!fileInput.files.length) return "Choose at least one file.";
    const mapping = document.getElementById("upload-mapping").files;
    let total = 0;
    for (const file of [...fileInput.files, ...mapping]) total += file.size;
    if (limit && total > limit) {
      return "These files add up to " + num(total) + " bytes; the limit is " + num(limit) + " bytes per upload.";
    }
    return null;
  }, (task) => {
    fileInput.value = "";
    return "Uploaded. Ingesting in the background: " + task.label;
  });

  if (analysisForm) {
    submitTo(analysisForm, "analysis-status", "analysis-submit", null,
      (task) => "Analysis queued: " + task.label);
  }

  // Poll at once if the server-rendered list shows work in progress.
  for (const row of tasksTable.querySelectorAll("tr[data-task]")) {
    if (!ACTIVE.has(row.dataset.state)) ended.add(row.dataset.task);
  }
  if (tasksTable.querySelector('tr[data-state="queued"], tr[data-state="running"]')) refreshTasks();
})();
