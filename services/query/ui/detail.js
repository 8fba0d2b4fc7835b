// The detail pane of one span: what it is (service, operation, ids, start, duration, self time,
// critical path share), then its tags, process, logs with timestamps, references and
// warnings (clock-skew adjustments among them). References to spans of the same trace select
// them; others link to their trace. Builds DOM only; the page decides where it goes.

import { h } from "./dom.js";
import { formatDuration, formatTime, formatValue, serviceColor } from "./format.js";

function keyValues(list, label) {
  if (!list.length) return h("p", { class: "muted" }, `No ${label}.`);
  return h("table", { class: "kv" },
    h("tbody", {}, list.map((tag) =>
      h("tr", { class: tag.key === "error" ? "kv-error" : null },
        h("th", { scope: "row" }, tag.key),
        h("td", { class: `kv-${tag.type || "string"}` }, formatValue(tag.value))))));
}

function section(title, count, body, open = true) {
  return h("details", { class: "detail-section", open },
    h("summary", {}, title, count === null ? null : h("span", { class: "count" }, String(count))), body);
}

/** The pane of `node` in `trace`; `critical` is criticalPath's map; `onSelect(id)` picks a span. */
export function spanDetail(trace, node, { critical, href, onSelect, onClose }) {
  const segments = critical.get(node.id) || [];
  const onPath = segments.reduce((sum, [from, to]) => sum + (to - from), 0);
  const closeButton = h("button", { type: "button", class: "detail-close", "aria-label": "Close details" }, "×");
  closeButton.addEventListener("click", onClose);
  const facts = [
    ["Service", node.service],
    ["Operation", node.operation],
    ["Span ID", node.id],
    ["Start", `${formatDuration(node.start - trace.start)} after the trace start (${formatTime(node.start)})`],
    ["Duration", formatDuration(node.duration)],
    ["Self time", formatDuration(node.selfTime)],
    ["Critical path", onPath ? `${formatDuration(onPath)} of this span` : "not on it"],
    ["Depth", String(node.depth)],
    ["Children", String(node.children.length)],
  ];
  const logs = node.logs.length
    ? h("ol", { class: "logs" }, node.logs.map((log) =>
      h("li", {},
        h("div", { class: "log-time" },
          h("strong", {}, `+${formatDuration((log.timestamp || 0) - trace.start)}`),
          ` (${formatDuration((log.timestamp || 0) - node.start)} into the span, ${formatTime(log.timestamp || 0)})`),
        keyValues(log.fields || [], "fields"))))
    : h("p", { class: "muted" }, "No logs.");
  const references = node.references.length
    ? h("ul", { class: "refs" }, node.references.map((ref) => {
      const target = trace.byId.get(ref.spanID);
      let link;
      if (target && ref.traceID === trace.id) {
        link = h("button", { type: "button", class: "linkish" }, `${target.service}: ${target.operation} (${ref.spanID})`);
        link.addEventListener("click", () => onSelect(ref.spanID));
      } else {
        link = h("a", { href: href(`trace/${ref.traceID}`, { span: ref.spanID }) }, `span ${ref.spanID} of trace ${ref.traceID}`);
      }
      return h("li", {}, h("code", {}, ref.refType), " ", link);
    }))
    : h("p", { class: "muted" }, "No references (a root span).");
  return h("aside", { class: "detail", "aria-label": `Details of ${node.operation}`, tabindex: "-1" },
    h("header", { class: "detail-head" },
      h("h3", {}, h("span", { class: "svc-dot", style: `background:${serviceColor(node.service)}` }), node.operation),
      node.error ? h("span", { class: "badge badge-error" }, "error") : null,
      closeButton),
    h("dl", { class: "facts" }, facts.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, value)])),
    node.warnings.length
      ? section("Warnings", node.warnings.length, h("ul", { class: "warnings" }, node.warnings.map((w) => h("li", {}, w))))
      : null,
    section("Tags", node.tags.length, keyValues(node.tags, "tags")),
    section("Process", (node.process.tags || []).length,
      h("div", {}, h("p", {}, "Service: ", h("strong", {}, node.service)), keyValues(node.process.tags || [], "process tags"))),
    section("Logs", node.logs.length, logs),
    section("References", node.references.length, references));
}
