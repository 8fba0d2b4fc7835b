// The compare page: two traces side by side, grouped by service and operation. It lists the
// spans present in one trace and not the other (or more often in one), and the duration
// differences by service/operation and by service (self time). compare?a=<id>&b=<id>.

import * as api from "./api.js";
import { h, mount, notice } from "./dom.js";
import { formatDuration, serviceColor, shortId } from "./format.js";
import { buildTrace } from "./model.js";

/** Groups of spans by service and operation in traces `a` and `b`, largest change first. */
export function compareTraces(a, b) {
  const groups = new Map();
  const add = (trace, side) => {
    for (const node of trace.spans) {
      const key = `${node.service}\u0000${node.operation}`;
      if (!groups.has(key)) {
        groups.set(key, { service: node.service, operation: node.operation, a: { count: 0, total: 0, self: 0 }, b: { count: 0, total: 0, self: 0 } });
      }
      const group = groups.get(key)[side];
      group.count++;
      group.total += node.duration;
      group.self += node.selfTime;
    }
  };
  add(a, "a");
  add(b, "b");
  const list = [...groups.values()];
  const services = new Map();
  for (const group of list) {
    if (!services.has(group.service)) services.set(group.service, { service: group.service, a: 0, b: 0 });
    services.get(group.service).a += group.a.self;
    services.get(group.service).b += group.b.self;
  }
  const change = (g) => Math.abs(g.b.total - g.a.total);
  return {
    onlyA: list.filter((g) => g.a.count && !g.b.count),
    onlyB: list.filter((g) => g.b.count && !g.a.count),
    countChanged: list.filter((g) => g.a.count && g.b.count && g.a.count !== g.b.count),
    operations: list.sort((x, y) => change(y) - change(x)),
    services: [...services.values()].sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a)),
  };
}

function delta(a, b) {
  const diff = b - a;
  const sign = diff > 0 ? "+" : diff < 0 ? "−" : "±";
  const percent = a > 0 ? ` (${sign}${Math.abs((diff / a) * 100).toFixed(0)}%)` : "";
  return h("span", { class: diff > 0 ? "slower" : diff < 0 ? "faster" : "same" },
    `${sign}${formatDuration(Math.abs(diff))}${percent}`);
}

function opCell(group) {
  return h("td", {}, h("span", { class: "svc-dot", style: `background:${serviceColor(group.service)}` }),
    h("strong", {}, group.service), ": ", group.operation);
}

function missingTable(title, groups, side, className) {
  if (!groups.length) return h("section", { class: className }, h("h3", {}, title), h("p", { class: "muted" }, "None."));
  return h("section", { class: className },
    h("h3", {}, title, " ", h("span", { class: "count" }, String(groups.length))),
    h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, h("th", {}, "Service: operation"), h("th", {}, "Spans"), h("th", {}, "Total duration"))),
      h("tbody", {}, groups.map((g) => h("tr", {}, opCell(g), h("td", {}, String(g[side].count)), h("td", {}, formatDuration(g[side].total)))))));
}

function summaryCard(label, trace, context) {
  return h("div", { class: `compare-card compare-${label.toLowerCase()}` },
    h("h3", {}, `Trace ${label}`),
    h("a", { href: context.href(`trace/${trace.id}`) },
      trace.root ? `${trace.root.service}: ${trace.root.operation}` : "(empty)", " ", h("code", {}, shortId(trace.id))),
    h("p", {}, `${formatDuration(trace.duration)} · ${trace.spans.length} spans · ${trace.errorCount} errors · ${trace.services.size} services`));
}

function showComparison(results, a, b, context) {
  const diff = compareTraces(a, b);
  mount(results,
    h("div", { class: "compare-cards" }, summaryCard("A", a, context), summaryCard("B", b, context),
      h("div", { class: "compare-card" }, h("h3", {}, "B − A"), h("p", {}, delta(a.duration, b.duration), ` · ${b.spans.length - a.spans.length >= 0 ? "+" : ""}${b.spans.length - a.spans.length} spans`))),
    h("div", { class: "compare-missing" },
      missingTable("Only in A", diff.onlyA, "a", "only-a"),
      missingTable("Only in B", diff.onlyB, "b", "only-b")),
    diff.countChanged.length
      ? h("section", { class: "count-changed" }, h("h3", {}, "In both, a different number of times"),
        h("table", { class: "grid" },
          h("thead", {}, h("tr", {}, h("th", {}, "Service: operation"), h("th", {}, "Spans in A"), h("th", {}, "Spans in B"))),
          h("tbody", {}, diff.countChanged.map((g) => h("tr", {}, opCell(g), h("td", {}, String(g.a.count)), h("td", {}, String(g.b.count)))))))
      : null,
    h("section", { class: "by-operation" }, h("h3", {}, "Duration by service and operation"),
      h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, h("th", {}, "Service: operation"), h("th", {}, "A (spans)"), h("th", {}, "B (spans)"), h("th", {}, "Total B − A"), h("th", {}, "Self time B − A"))),
        h("tbody", {}, diff.operations.map((g) => h("tr", {},
          opCell(g),
          h("td", {}, g.a.count ? `${formatDuration(g.a.total)} (${g.a.count})` : "–"),
          h("td", {}, g.b.count ? `${formatDuration(g.b.total)} (${g.b.count})` : "–"),
          h("td", {}, delta(g.a.total, g.b.total)),
          h("td", {}, delta(g.a.self, g.b.self))))))),
    h("section", { class: "by-service" }, h("h3", {}, "Self time by service"),
      h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, h("th", {}, "Service"), h("th", {}, "A"), h("th", {}, "B"), h("th", {}, "B − A"))),
        h("tbody", {}, diff.services.map((g) => h("tr", {},
          h("td", {}, h("span", { class: "svc-dot", style: `background:${serviceColor(g.service)}` }), g.service),
          h("td", {}, formatDuration(g.a)), h("td", {}, formatDuration(g.b)), h("td", {}, delta(g.a, g.b))))))));
}

export function render(container, query, context) {
  const a = (query.get("a") || "").trim().toLowerCase();
  const b = (query.get("b") || "").trim().toLowerCase();
  document.title = a && b ? `Compare ${shortId(a)} and ${shortId(b)} · Spur` : "Compare · Spur";
  const inputA = h("input", { name: "a", value: a, placeholder: "Trace ID A", "aria-label": "Trace ID A", pattern: "[0-9a-fA-F]{1,32}", required: true, spellcheck: "false" });
  const inputB = h("input", { name: "b", value: b, placeholder: "Trace ID B", "aria-label": "Trace ID B", pattern: "[0-9a-fA-F]{1,32}", required: true, spellcheck: "false" });
  const form = h("form", { class: "compare-form", "aria-label": "Traces to compare" },
    h("h1", {}, "Compare two traces"), inputA, h("span", {}, "with"), inputB, h("button", { type: "submit", class: "primary" }, "Compare"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    context.navigate("compare", { a: inputA.value.trim(), b: inputB.value.trim() });
  });
  const results = h("div", { class: "compare-results", "aria-live": "polite" });
  mount(container, h("div", { class: "compare-page" }, form, results));
  if (!a || !b) {
    mount(results, notice("Enter two trace ids, or tick two traces in the search results and press “Compare”.", "empty"));
    return undefined;
  }
  mount(results, notice("Loading both traces…"));
  Promise.all([api.trace(a, context.signal), api.trace(b, context.signal)]).then(
    ([rawA, rawB]) => showComparison(results, buildTrace(rawA), buildTrace(rawB), context),
    (error) => {
      if (error.name !== "AbortError") mount(results, notice(`The traces could not be loaded: ${error.message}`, "error"));
    },
  );
  return undefined;
}
