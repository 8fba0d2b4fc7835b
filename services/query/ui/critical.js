// The critical path of a trace: the parts of spans that the trace's end waited on. Starting at
// each root's end and walking back in time, a parent's time is on the path except where the
// child finishing last before the cursor was running, and that child is followed in turn (the
// way Jaeger's UI computes it). Children that ran after their parent ended are clipped.
// Iterative, so a 10,000-span chain does not exhaust the stack. Pure data.

/**
 * Returns a Map from span id to the `[start, end]` segments (µs) of that span on the
 * critical path; spans absent from the map are not on it.
 */
export function criticalPath(trace) {
  const segments = new Map();
  const add = (node, from, to) => {
    if (to <= from) return;
    if (!segments.has(node.id)) segments.set(node.id, []);
    segments.get(node.id).push([from, to]);
  };
  // The root that ends last decides the trace's end; other roots are followed too.
  const stack = trace.roots.map((root) => [root, root.end]);
  while (stack.length) {
    const [node, bound] = stack.pop();
    let cursor = Math.min(node.end, bound);
    const children = node.children
      .filter((child) => child.start < cursor && child.end > node.start)
      .sort((a, b) => Math.min(b.end, cursor) - Math.min(a.end, cursor));
    for (const child of children) {
      if (cursor <= node.start) break;
      if (child.start >= cursor) continue;
      const childEnd = Math.min(child.end, cursor);
      add(node, childEnd, cursor);
      stack.push([child, childEnd]);
      cursor = Math.max(child.start, node.start);
    }
    add(node, node.start, cursor);
  }
  for (const list of segments.values()) list.sort((a, b) => a[0] - b[0]);
  return segments;
}
