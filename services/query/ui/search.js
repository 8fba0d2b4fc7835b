// The search page: the form (service with autocomplete, operation, tags, time window,
// durations, limit), then the results as a scatter plot and a sortable list. The form's values
// are the URL's query; submitting navigates, so every search can be shared and reloaded.

import * as api from "./api.js";
import { h, mount, notice } from "./dom.js";
import { formatAgo, formatDuration, formatTime, parseDuration, serviceColor, shortId } from "./format.js";
import { buildTrace, summarize } from "./model.js";
import { scatterPlot } from "./scatter.js";

const LOOKBACKS = [
  ["5m", "Last 5 minutes", 5 * 60],
  ["15m", "Last 15 minutes", 15 * 60],
  ["30m", "Last 30 minutes", 30 * 60],
  ["1h", "Last hour", 3600],
  ["2h", "Last 2 hours", 2 * 3600],
  ["6h", "Last 6 hours", 6 * 3600],
  ["12h", "Last 12 hours", 12 * 3600],
  ["1d", "Last 24 hours", 86400],
  ["2d", "Last 2 days", 2 * 86400],
  ["custom", "Custom range", 0],
];

const SORTS = [
  ["recent", "Most recent"],
  ["longest", "Longest first"],
  ["shortest", "Shortest first"],
  ["spans", "Most spans"],
  ["errors", "Most errors"],
];

/** `k=v k2="a b"` (logfmt, as Jaeger's UI takes tags) into a map; throws on leftovers. */
export function parseTags(text) {
  const tags = {};
  const pattern = /([^\s=]+)=("((?:[^"\\]|\\.)*)"|\S*)/g;
  let rest = text;
  for (const match of text.matchAll(pattern)) {
    tags[match[1]] = match[3] !== undefined ? match[3].replace(/\\(.)/g, "$1") : match[2];
    rest = rest.replace(match[0], "");
  }
  if (rest.trim()) throw new Error(`tags must be key=value pairs separated by spaces, not “${rest.trim()}”`);
  return tags;
}

function readState(query) {
  const value = (name, fallback = "") => query.get(name) ?? fallback;
  return {
    service: value("service"),
    operation: value("operation"),
    tags: value("tags"),
    lookback: value("lookback", "1h"),
    start: value("start"),
    end: value("end"),
    minDuration: value("minDuration"),
    maxDuration: value("maxDuration"),
    limit: value("limit", "20"),
    sort: value("sort", "recent"),
  };
}

/** `datetime-local` text for µs since the epoch, and back. */
function toLocalInput(micros) {
  if (!micros) return "";
  const date = new Date(Number(micros) / 1000);
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 16);
}
function fromLocalInput(text) {
  const millis = new Date(text).getTime();
  return Number.isFinite(millis) ? String(millis * 1000) : "";
}

/** The API query of a page state; throws Error with a readable text when a field is wrong. */
export function apiQuery(state, nowMillis = Date.now()) {
  const query = { service: state.service, limit: state.limit };
  if (state.operation) query.operation = state.operation;
  if (state.tags.trim()) query.tags = JSON.stringify(parseTags(state.tags));
  for (const name of ["minDuration", "maxDuration"]) {
    if (!state[name]) continue;
    if (parseDuration(state[name]) === null) throw new Error(`${name} must be a duration such as 150ms, 2s or 1.5m`);
    query[name] = state[name];
  }
  if (state.lookback === "custom") {
    if (!state.start || !state.end) throw new Error("a custom range needs a start and an end");
    if (Number(state.end) < Number(state.start)) throw new Error("the range ends before it starts");
    query.start = state.start;
    query.end = state.end;
  } else {
    const lookback = LOOKBACKS.find(([key]) => key === state.lookback) || LOOKBACKS[3];
    query.end = String(nowMillis * 1000);
    query.start = String((nowMillis - lookback[2] * 1000) * 1000);
    query.lookback = lookback[0];
  }
  return query;
}

function sortSummaries(summaries, sort) {
  const by = {
    recent: (a, b) => b.start - a.start,
    longest: (a, b) => b.duration - a.duration,
    shortest: (a, b) => a.duration - b.duration,
    spans: (a, b) => b.spanCount - a.spanCount || b.start - a.start,
    errors: (a, b) => b.errorCount - a.errorCount || b.start - a.start,
  };
  return summaries.slice().sort(by[sort] || by.recent);
}

function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), control, hint ? h("small", {}, hint) : null);
}

function buildForm(state, context) {
  const services = h("datalist", { id: "service-names" });
  const service = h("input", {
    name: "service", value: state.service, list: "service-names", required: true,
    autocomplete: "off", spellcheck: "false", placeholder: "Type or pick a service",
  });
  const operation = h("select", { name: "operation" }, h("option", { value: "" }, "All operations"));
  const tags = h("input", { name: "tags", value: state.tags, placeholder: "http.status_code=500 error=true", spellcheck: "false" });
  const lookback = h("select", { name: "lookback" },
    LOOKBACKS.map(([key, label]) => h("option", { value: key, selected: key === state.lookback }, label)));
  const start = h("input", { type: "datetime-local", name: "start", value: toLocalInput(state.start) });
  const end = h("input", { type: "datetime-local", name: "end", value: toLocalInput(state.end) });
  const range = h("div", { class: "range", hidden: state.lookback !== "custom" }, field("From", start), field("To", end));
  const minDuration = h("input", { name: "minDuration", value: state.minDuration, placeholder: "e.g. 1.2s, 100ms" });
  const maxDuration = h("input", { name: "maxDuration", value: state.maxDuration, placeholder: "e.g. 1.1s" });
  const limit = h("input", { name: "limit", type: "number", min: "1", max: "1500", value: state.limit });
  const problem = h("p", { class: "form-problem", role: "alert", hidden: true });
  const form = h("form", { class: "search-form", "aria-label": "Find traces" },
    h("h2", {}, "Find traces"),
    field("Service", service), services,
    field("Operation", operation),
    field("Tags", tags, "key=value pairs separated by spaces"),
    field("Lookback", lookback), range,
    h("div", { class: "pair" }, field("Min duration", minDuration), field("Max duration", maxDuration)),
    field("Limit results", limit),
    problem,
    h("button", { type: "submit", class: "primary" }, "Find traces"));

  lookback.addEventListener("change", () => {
    range.hidden = lookback.value !== "custom";
    if (!range.hidden && !start.value) {
      const now = Date.now() * 1000;
      start.value = toLocalInput(now - 3600e6);
      end.value = toLocalInput(now);
    }
  });

  async function loadOperations(name, selected) {
    operation.replaceChildren(h("option", { value: "" }, "All operations"));
    if (!name) return;
    try {
      const names = await api.operations(name, context.signal);
      operation.append(...names.map((op) => h("option", { value: op, selected: op === selected }, op)));
    } catch (error) {
      if (error.name !== "AbortError") operation.append(h("option", { value: "", disabled: true }, `(${error.message})`));
    }
  }

  service.addEventListener("change", () => loadOperations(service.value, ""));
  api.services(context.signal).then(
    (names) => {
      services.replaceChildren(...names.map((name) => h("option", { value: name })));
      if (!state.service && names.length === 1) {
        service.value = names[0];
        loadOperations(names[0], "");
      }
    },
    (error) => {
      if (error.name !== "AbortError") {
        problem.hidden = false;
        problem.textContent = `Services could not be loaded: ${error.message}`;
      }
    },
  );
  if (state.service) loadOperations(state.service, state.operation);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = {
      service: service.value.trim(),
      operation: operation.value,
      tags: tags.value.trim(),
      lookback: lookback.value,
      start: lookback.value === "custom" ? fromLocalInput(start.value) : "",
      end: lookback.value === "custom" ? fromLocalInput(end.value) : "",
      minDuration: minDuration.value.trim(),
      maxDuration: maxDuration.value.trim(),
      limit: limit.value,
      sort: state.sort,
    };
    try {
      apiQuery(next);
    } catch (error) {
      problem.hidden = false;
      problem.textContent = error.message;
      return;
    }
    context.navigate("search", next);
  });
  return form;
}

function resultItem(summary, longest, context, picked, onPick) {
  const width = longest > 0 ? Math.max((summary.duration / longest) * 100, 0.5) : 0;
  const checkbox = h("input", {
    type: "checkbox", class: "pick", "aria-label": `Select trace ${shortId(summary.id)} to compare`,
    checked: picked.has(summary.id), dataset: { id: summary.id },
  });
  checkbox.addEventListener("change", () => onPick(summary.id, checkbox.checked));
  return h("li", { class: "result", dataset: { traceId: summary.id } },
    h("div", { class: "result-head" },
      checkbox,
      h("a", { class: "result-link", href: context.href(`trace/${summary.id}`) },
        h("span", { class: "svc-dot", style: `background:${serviceColor(summary.rootService)}` }),
        h("strong", {}, summary.rootService), ": ", summary.rootOperation,
        h("code", { class: "trace-id" }, shortId(summary.id))),
      h("span", { class: "result-duration" }, formatDuration(summary.duration))),
    h("div", { class: "result-bar", "aria-hidden": "true" }, h("span", { style: `width:${width}%` })),
    h("div", { class: "result-meta" },
      h("span", { class: "span-count" }, `${summary.spanCount} span${summary.spanCount === 1 ? "" : "s"}`),
      summary.errorCount ? h("span", { class: "error-count" }, `${summary.errorCount} error${summary.errorCount === 1 ? "" : "s"}`) : null,
      h("ul", { class: "service-chips", "aria-label": "Services" },
        summary.services.map(({ name, count }) =>
          h("li", { style: `border-left-color:${serviceColor(name)}` }, `${name} (${count})`))),
      h("time", { class: "result-start", datetime: new Date(summary.start / 1000).toISOString(), title: formatTime(summary.start) },
        `${formatTime(summary.start)} · ${formatAgo(summary.start)}`)));
}

function renderResults(results, state, summaries, context) {
  const picked = new Set();
  const compareButton = h("button", { type: "button", class: "compare-button", disabled: true }, "Compare selected");
  const onPick = (id, on) => {
    if (on) picked.add(id);
    else picked.delete(id);
    compareButton.disabled = picked.size !== 2;
    compareButton.textContent = picked.size === 2 ? "Compare the two selected" : `Compare selected (${picked.size}/2)`;
  };
  compareButton.addEventListener("click", () => {
    const [a, b] = [...picked];
    context.navigate("compare", { a, b });
  });
  const sort = h("select", { "aria-label": "Sort results" },
    SORTS.map(([key, label]) => h("option", { value: key, selected: key === state.sort }, label)));
  const list = h("ol", { class: "result-list" });
  const longest = summaries.reduce((max, s) => Math.max(max, s.duration), 0);
  const fill = () => {
    const sorted = sortSummaries(summaries, sort.value);
    list.replaceChildren(...sorted.map((summary) => resultItem(summary, longest, context, picked, onPick)));
  };
  sort.addEventListener("change", () => {
    context.updateQuery({ sort: sort.value === "recent" ? "" : sort.value });
    fill();
  });
  fill();
  const open = (id) => context.navigate(`trace/${id}`);
  mount(results,
    h("section", { class: "scatter", "aria-label": "Duration against time" }, scatterPlot(summaries, open)),
    h("div", { class: "results-bar" },
      h("strong", { class: "result-total" }, `${summaries.length} trace${summaries.length === 1 ? "" : "s"}`),
      h("span", { class: "spacer" }),
      compareButton,
      h("label", { class: "inline" }, "Sort ", sort)),
    list);
}

async function runSearch(results, state, context) {
  let query;
  try {
    query = apiQuery(state);
  } catch (error) {
    mount(results, notice(error.message, "error"));
    return;
  }
  mount(results, notice(`Searching ${state.service}…`));
  try {
    const { traces, errors } = await api.searchTraces(query, context.signal);
    const summaries = traces.map((raw) => summarize(buildTrace(raw)));
    if (!summaries.length) {
      mount(results, notice("No traces match. Try a longer lookback or fewer filters.", "empty"));
      return;
    }
    renderResults(results, state, summaries, context);
    if (errors.length) results.prepend(notice(errors.map((e) => e.msg).join("; "), "error"));
  } catch (error) {
    if (error.name === "AbortError") return;
    mount(results, notice(`Search failed: ${error.message}`, "error"));
  }
}

export function render(container, query, context) {
  const state = readState(query);
  document.title = state.service ? `${state.service} · Search · Spur` : "Search · Spur";
  const results = h("section", { class: "results", "aria-live": "polite", "aria-label": "Results" });
  mount(container, h("div", { class: "search-page" }, buildForm(state, context), results));
  if (state.service) runSearch(results, state, context);
  else mount(results, notice("Pick a service and press “Find traces”.", "empty"));
}
