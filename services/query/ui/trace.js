// The trace page: a header (root, duration, services, warnings), a toolbar (search within the
// trace, collapse/expand all, critical path on/off, JSON view, download), the timeline and the
// selected span's detail pane. Its state (selected span, search text, collapsed spans, JSON
// view) is kept in the URL: trace/<id>?span=&find=&collapsed=&view=json.

import * as api from "./api.js";
import { criticalPath } from "./critical.js";
import { spanDetail } from "./detail.js";
import { h, mount, notice } from "./dom.js";
import { formatDuration, formatTime, serviceColor } from "./format.js";
import { buildTrace, spanMatches } from "./model.js";
import { Timeline } from "./timeline.js";

/** Largest JSON shown on the page; the download always holds the whole trace. */
const MAX_JSON_CHARS = 2_000_000;
/** More collapsed spans than this are not written to the URL (it would grow too long). */
const MAX_COLLAPSED_IN_URL = 100;

function header(trace) {
  const root = trace.root;
  const title = root ? [h("strong", {}, root.service), ": ", root.operation] : ["(empty trace)"];
  const depth = trace.spans.reduce((max, n) => Math.max(max, n.depth), 0) + 1;
  return h("header", { class: "trace-head" },
    h("h1", {}, title, " ", h("code", { class: "trace-id" }, trace.id)),
    h("ul", { class: "trace-facts" },
      h("li", {}, "Start ", h("strong", {}, formatTime(trace.start))),
      h("li", {}, "Duration ", h("strong", { class: "trace-duration" }, formatDuration(trace.duration))),
      h("li", {}, "Services ", h("strong", {}, String(trace.services.size))),
      h("li", {}, "Depth ", h("strong", {}, String(depth))),
      h("li", {}, "Spans ", h("strong", { class: "trace-span-count" }, String(trace.spans.length))),
      trace.errorCount ? h("li", { class: "error-count" }, "Errors ", h("strong", {}, String(trace.errorCount))) : null),
    h("ul", { class: "legend", "aria-label": "Services" },
      [...trace.services.entries()].sort().map(([name, count]) =>
        h("li", {}, h("span", { class: "svc-dot", style: `background:${serviceColor(name)}` }), `${name} (${count})`))),
    trace.warnings.length ? h("ul", { class: "warnings" }, trace.warnings.map((w) => h("li", {}, w))) : null);
}

function download(trace) {
  const blob = new Blob([JSON.stringify({ data: [trace.raw] }, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: `trace-${trace.id}.json`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function jsonView(trace) {
  let text = JSON.stringify(trace.raw, null, 2);
  let note = null;
  if (text.length > MAX_JSON_CHARS) {
    text = text.slice(0, MAX_JSON_CHARS);
    note = notice(`The JSON is ${trace.spans.length} spans long; the first ${MAX_JSON_CHARS / 1e6} MB are shown. Download it for the whole trace.`);
  }
  return h("div", { class: "json-view" }, note, h("pre", { tabindex: "0", "aria-label": "Trace JSON" }, text));
}

function showTrace(container, trace, query, context) {
  const critical = criticalPath(trace);
  const collapsedParam = query.get("collapsed") || "";
  const collapsed = new Set(collapsedParam === "*"
    ? trace.spans.filter((n) => n.children.length && n.parent).map((n) => n.id)
    : collapsedParam.split(",").filter(Boolean));
  const detailHolder = h("div", { class: "detail-holder" });
  const findInput = h("input", {
    type: "search", class: "find", placeholder: "Find in trace (operation, service, tag, id)",
    "aria-label": "Find in trace", value: query.get("find") || "", spellcheck: "false",
  });
  const findCount = h("span", { class: "find-count", "aria-live": "polite" });
  const previous = h("button", { type: "button", "aria-label": "Previous match" }, "↑");
  const next = h("button", { type: "button", "aria-label": "Next match" }, "↓");
  const criticalToggle = h("input", { type: "checkbox", checked: query.get("critical") !== "off" });
  const jsonButton = h("button", { type: "button", "aria-pressed": String(query.get("view") === "json") }, "JSON");
  const downloadButton = h("button", { type: "button" }, "Download");
  const compareLink = h("a", { class: "button-link", href: context.href("compare", { a: trace.id }) }, "Compare…");
  const collapseAll = h("button", { type: "button" }, "Collapse all");
  const expandAll = h("button", { type: "button" }, "Expand all");
  const body = h("div", { class: "trace-body" });
  let matches = [];
  let matchIndex = -1;

  const showDetail = (id) => {
    const node = trace.byId.get(id);
    if (!node) {
      detailHolder.replaceChildren();
      body.classList.remove("with-detail");
      return;
    }
    detailHolder.replaceChildren(spanDetail(trace, node, {
      critical,
      href: context.href,
      onSelect: (other) => timeline.select(other),
      onClose: () => {
        detailHolder.replaceChildren();
        body.classList.remove("with-detail");
        context.updateQuery({ span: "" });
        timeline.focus();
      },
    }));
    body.classList.add("with-detail");
  };

  const timeline = new Timeline(trace, {
    collapsed,
    selected: query.get("span"),
    critical,
    showCritical: criticalToggle.checked,
    onSelect: (id) => {
      context.updateQuery({ span: id });
      if (body.classList.contains("with-detail")) showDetail(id);
    },
    onOpen: (id) => {
      context.updateQuery({ span: id });
      showDetail(id);
    },
    onCollapse: (set) => {
      const all = trace.spans.filter((n) => n.children.length && n.parent);
      let value = [...set].join(",");
      if (set.size && all.every((n) => set.has(n.id)) && all.length === set.size) value = "*";
      else if (set.size > MAX_COLLAPSED_IN_URL) value = "";
      context.updateQuery({ collapsed: value });
    },
  });

  const runFind = (moveTo) => {
    const text = findInput.value.trim();
    matches = text ? trace.spans.filter((node) => spanMatches(node, text)) : [];
    timeline.setMatches(new Set(matches.map((node) => node.id)));
    context.updateQuery({ find: text });
    if (!text) {
      findCount.textContent = "";
      return;
    }
    if (!matches.length) {
      findCount.textContent = "no match";
      return;
    }
    if (moveTo !== undefined) {
      matchIndex = (moveTo + matches.length) % matches.length;
      timeline.select(matches[matchIndex].id);
    }
    findCount.textContent = `${matchIndex >= 0 ? matchIndex + 1 : "–"} of ${matches.length}`;
  };
  let findTimer = 0;
  findInput.addEventListener("input", () => {
    clearTimeout(findTimer);
    matchIndex = -1;
    findTimer = setTimeout(() => runFind(), 150);
  });
  findInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      runFind(event.shiftKey ? matchIndex - 1 : matchIndex + 1);
    } else if (event.key === "Escape") {
      findInput.value = "";
      runFind();
      timeline.focus();
    }
  });
  next.addEventListener("click", () => runFind(matchIndex + 1));
  previous.addEventListener("click", () => runFind(matchIndex - 1));
  criticalToggle.addEventListener("change", () => {
    timeline.setShowCritical(criticalToggle.checked);
    context.updateQuery({ critical: criticalToggle.checked ? "" : "off" });
  });
  collapseAll.addEventListener("click", () =>
    timeline.setCollapsed(trace.spans.filter((n) => n.children.length && n.parent).map((n) => n.id)));
  expandAll.addEventListener("click", () => timeline.setCollapsed([]));
  downloadButton.addEventListener("click", () => download(trace));

  const timelineView = h("div", { class: "timeline-holder" }, timeline.element);
  // Escape in the timeline or the pane closes the details.
  body.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !body.classList.contains("with-detail")) return;
    detailHolder.querySelector(".detail-close")?.click();
  });
  const setView = (json) => {
    jsonButton.setAttribute("aria-pressed", String(json));
    context.updateQuery({ view: json ? "json" : "" });
    if (json) body.replaceChildren(jsonView(trace));
    else body.replaceChildren(timelineView, detailHolder);
  };
  jsonButton.addEventListener("click", () => setView(jsonButton.getAttribute("aria-pressed") !== "true"));

  mount(container, h("div", { class: "trace-page" },
    header(trace),
    h("div", { class: "toolbar", role: "toolbar", "aria-label": "Trace tools" },
      h("div", { class: "find-box" }, findInput, previous, next, findCount),
      collapseAll, expandAll,
      h("label", { class: "inline critical-toggle" }, criticalToggle, " Critical path"),
      h("span", { class: "spacer" }),
      compareLink, jsonButton, downloadButton),
    body));
  setView(query.get("view") === "json");
  if (findInput.value) runFind();
  const selected = query.get("span");
  if (selected && trace.byId.has(selected)) {
    timeline.select(selected);
    showDetail(selected);
  }
  requestAnimationFrame(() => timeline.redraw());
  return () => {
    clearTimeout(findTimer);
    timeline.destroy();
  };
}

export function render(container, query, context) {
  const id = context.params[0].toLowerCase();
  document.title = `Trace ${id.slice(0, 7)} · Spur`;
  mount(container, notice(`Loading trace ${id}…`));
  let destroy = null;
  let cancelled = false;
  api.trace(id, context.signal).then(
    (raw) => {
      if (cancelled) return;
      // Marks for the browser benchmark: fetched, then drawn (model, critical path, rows).
      performance.mark("spur-trace-fetched");
      const trace = buildTrace(raw);
      if (trace.root) document.title = `${trace.root.service}: ${trace.root.operation} (${id.slice(0, 7)}) · Spur`;
      destroy = showTrace(container, trace, query, context);
      performance.mark("spur-trace-rendered");
      performance.measure("spur-trace-render", "spur-trace-fetched", "spur-trace-rendered");
    },
    (error) => {
      if (cancelled || error.name === "AbortError") return;
      const text = error.status === 404 ? `Trace ${id} was not found.` : `The trace could not be loaded: ${error.message}`;
      mount(container, notice(text, "error"));
    },
  );
  return () => {
    cancelled = true;
    if (destroy) destroy();
  };
}
