// A trace from the API's JSON turned into what the pages draw: spans with their service,
// parent, children, depth and error flag in tree order, the trace's bounds and services, and a
// one-line summary for search results. Pure data; nothing here touches the DOM.

/** True when a span says it failed: `error=true`, or OpenTelemetry's `otel.status_code=ERROR`. */
export function isError(tags) {
  for (const tag of tags || []) {
    if (tag.key === "error" && (tag.value === true || tag.value === "true")) return true;
    if (tag.key === "otel.status_code" && tag.value === "ERROR") return true;
  }
  return false;
}

function parentOf(raw, traceId, byId) {
  const references = raw.references || [];
  const inTrace = references.filter(
    (ref) => ref.spanID !== raw.spanID && byId.has(ref.spanID) && (!ref.traceID || ref.traceID === traceId),
  );
  return (inTrace.find((ref) => ref.refType === "CHILD_OF") || inTrace[0] || null)?.spanID ?? null;
}

function byStart(a, b) {
  return a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The union length of intervals `[start, end]` clipped to `[lo, hi]`. */
function coveredLength(intervals, lo, hi) {
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, lo), Math.min(b, hi)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cursor = lo;
  for (const [a, b] of clipped) {
    const from = Math.max(a, cursor);
    if (b > from) {
      total += b - from;
      cursor = b;
    }
  }
  return total;
}

/**
 * Builds the model of one trace. Spans whose parent is missing become roots; reference cycles
 * are cut so every span appears exactly once.
 */
export function buildTrace(raw) {
  const processes = raw.processes || {};
  const byId = new Map();
  const nodes = [];
  for (const span of raw.spans || []) {
    if (byId.has(span.spanID)) continue; // the API dedupes; stay safe with odd input
    const process = processes[span.processID] || span.process || { serviceName: "unknown", tags: [] };
    const start = Number(span.startTime) || 0;
    const duration = Math.max(Number(span.duration) || 0, 0);
    const node = {
      raw: span,
      id: span.spanID,
      operation: span.operationName || "",
      service: process.serviceName || "unknown",
      process,
      start,
      duration,
      end: start + duration,
      tags: span.tags || [],
      logs: span.logs || [],
      references: span.references || [],
      warnings: span.warnings || [],
      error: isError(span.tags),
      parent: null,
      children: [],
      depth: 0,
      index: 0,
      selfTime: duration,
      descendants: 0,
      descendantErrors: 0,
    };
    byId.set(node.id, node);
    nodes.push(node);
  }
  for (const node of nodes) {
    const parentId = parentOf(node.raw, raw.traceID, byId);
    if (parentId !== null) node.parent = byId.get(parentId);
  }
  // Cut cycles: walking up from any span must reach a root.
  for (const node of nodes) {
    const seen = new Set([node]);
    let cursor = node.parent;
    while (cursor) {
      if (seen.has(cursor)) {
        cursor.parent = null;
        break;
      }
      seen.add(cursor);
      cursor = cursor.parent;
    }
  }
  const roots = [];
  for (const node of nodes) {
    if (node.parent) node.parent.children.push(node);
    else roots.push(node);
  }
  roots.sort(byStart);
  const ordered = [];
  const stack = roots.slice().reverse();
  while (stack.length) {
    const node = stack.pop();
    node.index = ordered.length;
    node.depth = node.parent ? node.parent.depth + 1 : 0;
    ordered.push(node);
    node.children.sort(byStart);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  // Descendant counts (all, and failed), children before parents: reverse tree order.
  for (let i = ordered.length - 1; i >= 0; i--) {
    const node = ordered[i];
    if (!node.parent) continue;
    node.parent.descendants += node.descendants + 1;
    node.parent.descendantErrors += node.descendantErrors + (node.error ? 1 : 0);
  }
  for (const node of ordered) {
    const childIntervals = node.children.map((child) => [child.start, child.end]);
    node.selfTime = node.duration - coveredLength(childIntervals, node.start, node.end);
  }
  const start = ordered.reduce((min, n) => Math.min(min, n.start), ordered.length ? Infinity : 0);
  const end = ordered.reduce((max, n) => Math.max(max, n.end), ordered.length ? -Infinity : 0);
  const services = new Map();
  for (const node of ordered) services.set(node.service, (services.get(node.service) || 0) + 1);
  return {
    id: raw.traceID,
    raw,
    spans: ordered,
    byId,
    roots,
    root: roots[0] || null,
    start,
    end,
    duration: end - start,
    services,
    errorCount: ordered.filter((n) => n.error).length,
    warnings: raw.warnings || [],
  };
}

/** What a search result shows of a trace. */
export function summarize(trace) {
  return {
    id: trace.id,
    rootService: trace.root ? trace.root.service : "(no spans)",
    rootOperation: trace.root ? trace.root.operation : "",
    spanCount: trace.spans.length,
    errorCount: trace.errorCount,
    services: [...trace.services.entries()]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    duration: trace.duration,
    start: trace.start,
  };
}

/** Does a span match a search-within-trace text (operation, service, id, tag or log values)? */
export function spanMatches(node, needle) {
  if (!needle) return false;
  const text = needle.toLowerCase();
  const has = (value) => String(value ?? "").toLowerCase().includes(text);
  if (has(node.operation) || has(node.service) || node.id.toLowerCase() === text) return true;
  const keyValue = (tag) => has(tag.key) || has(tag.value) || has(`${tag.key}=${tag.value}`);
  if (node.tags.some(keyValue) || (node.process.tags || []).some(keyValue)) return true;
  return node.logs.some((log) => (log.fields || []).some(keyValue));
}
