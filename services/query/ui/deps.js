// The dependencies page: the service graph of /api/dependencies for a lookback window, drawn
// as layered SVG (callers left of callees, cycles drawn as backward curves), call counts on the
// edges, and the same links as a table. Clicking a service highlights its calls.
// dependencies?lookback=<1h|6h|1d|2d|7d>.

import * as api from "./api.js";
import { h, mount, notice, s } from "./dom.js";
import { serviceColor } from "./format.js";

const LOOKBACKS = [["1h", "Last hour", 3600e3], ["6h", "Last 6 hours", 6 * 3600e3], ["1d", "Last 24 hours", 86400e3],
  ["2d", "Last 2 days", 2 * 86400e3], ["7d", "Last 7 days", 7 * 86400e3]];
const NODE_W = 170;
const NODE_H = 34;
const COLUMN = 260;
const ROW = 64;
const PAD = 30;

/** Layers (columns) and order within them: a longest-path layering of the graph without its back edges. */
export function layout(links) {
  const names = [...new Set(links.flatMap((l) => [l.parent, l.child]))].sort();
  const out = new Map(names.map((n) => [n, []]));
  for (const link of links) if (link.parent !== link.child) out.get(link.parent).push(link.child);
  // Depth-first search marks back edges so the rest is acyclic.
  const state = new Map();
  const back = new Set();
  // Services nobody calls go first, so the edges cut are those closing a cycle late.
  const called = new Set(links.filter((l) => l.parent !== l.child).map((l) => l.child));
  const starts = [...names.filter((n) => !called.has(n)), ...names.filter((n) => called.has(n))];
  for (const start of starts) {
    if (state.has(start)) continue;
    const stack = [[start, 0]];
    state.set(start, "open");
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      const next = out.get(node)[i];
      if (next === undefined) {
        state.set(node, "done");
        stack.pop();
        continue;
      }
      top[1]++;
      if (state.get(next) === "open") back.add(`${node}\u0000${next}`);
      else if (!state.has(next)) {
        state.set(next, "open");
        stack.push([next, 0]);
      }
    }
  }
  const forward = links.filter((l) => l.parent !== l.child && !back.has(`${l.parent}\u0000${l.child}`));
  const indegree = new Map(names.map((n) => [n, 0]));
  for (const l of forward) indegree.set(l.child, indegree.get(l.child) + 1);
  const layer = new Map(names.map((n) => [n, 0]));
  const queue = names.filter((n) => indegree.get(n) === 0);
  while (queue.length) {
    const node = queue.shift();
    for (const l of forward.filter((f) => f.parent === node)) {
      layer.set(l.child, Math.max(layer.get(l.child), layer.get(node) + 1));
      indegree.set(l.child, indegree.get(l.child) - 1);
      if (indegree.get(l.child) === 0) queue.push(l.child);
    }
  }
  const columns = [];
  for (const name of names) {
    const column = layer.get(name);
    (columns[column] ||= []).push(name);
  }
  // Two barycentre passes order each column by its callers' positions.
  const position = new Map();
  columns.forEach((column) => column.forEach((name, i) => position.set(name, i)));
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 1; c < columns.length; c++) {
      const weight = (name) => {
        const callers = forward.filter((l) => l.child === name).map((l) => position.get(l.parent));
        return callers.length ? callers.reduce((a, b) => a + b, 0) / callers.length : position.get(name);
      };
      columns[c].sort((x, y) => weight(x) - weight(y) || (x < y ? -1 : 1));
      columns[c].forEach((name, i) => position.set(name, i));
    }
  }
  return { columns, layer, position, back };
}

function graph(links, onPick) {
  const { columns } = layout(links);
  const tallest = Math.max(...columns.map((c) => c.length), 1);
  const width = PAD * 2 + (columns.length - 1) * COLUMN + NODE_W;
  const height = PAD * 2 + (tallest - 1) * ROW + NODE_H + 40;
  const place = new Map();
  columns.forEach((column, c) => {
    const offset = ((tallest - column.length) * ROW) / 2;
    column.forEach((name, i) => place.set(name, { x: PAD + c * COLUMN, y: PAD + 20 + offset + i * ROW }));
  });
  const svg = s("svg", {
    class: "dep-graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": `Service dependency graph: ${place.size} services, ${links.length} links`,
  });
  svg.append(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "8", markerHeight: "8", orient: "auto-start-reverse" },
    s("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }))));
  const edges = s("g", { class: "edges" });
  for (const link of links) {
    const from = place.get(link.parent);
    const to = place.get(link.child);
    let d;
    let labelX;
    let labelY;
    if (link.parent === link.child) {
      const x = from.x + NODE_W / 2;
      d = `M ${x - 20} ${from.y} C ${x - 40} ${from.y - 40}, ${x + 40} ${from.y - 40}, ${x + 20} ${from.y}`;
      labelX = x;
      labelY = from.y - 34;
    } else if (to.x > from.x) {
      const x1 = from.x + NODE_W;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x;
      const y2 = to.y + NODE_H / 2;
      const bend = (x2 - x1) / 2;
      d = `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
      labelX = (x1 + x2) / 2;
      labelY = (y1 + y2) / 2 - 4;
    } else {
      // Backward or same-column call: a curve below the nodes.
      const x1 = from.x + NODE_W / 2;
      const y1 = from.y + NODE_H;
      const x2 = to.x + NODE_W / 2;
      const y2 = to.y + NODE_H;
      const drop = Math.max(y1, y2) + 40;
      d = `M ${x1} ${y1} C ${x1} ${drop}, ${x2} ${drop}, ${x2} ${y2}`;
      labelX = (x1 + x2) / 2;
      labelY = drop - 8;
    }
    edges.append(s("g", { class: "edge", dataset: { parent: link.parent, child: link.child } },
      s("path", { d, "marker-end": "url(#arrow)" }),
      s("text", { x: labelX, y: labelY, "text-anchor": "middle", class: "edge-label" }, String(link.callCount)),
      s("title", {}, `${link.parent} → ${link.child}: ${link.callCount} calls`)));
  }
  svg.append(edges);
  const nodes = s("g", { class: "nodes" });
  for (const [name, { x, y }] of place) {
    const node = s("g", { class: "node", tabindex: "0", role: "button", "aria-label": `Service ${name}`, dataset: { service: name } },
      s("rect", { x, y, width: NODE_W, height: NODE_H, rx: 6 }),
      s("rect", { x, y, width: 6, height: NODE_H, rx: 2, fill: serviceColor(name) }),
      s("text", { x: x + 14, y: y + NODE_H / 2 + 5 }, name.length > 22 ? `${name.slice(0, 21)}…` : name),
      s("title", {}, name));
    const pick = () => onPick(name, svg);
    node.addEventListener("click", pick);
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pick();
      }
    });
    nodes.append(node);
  }
  svg.append(nodes);
  return svg;
}

function highlight(name, svg) {
  const already = svg.dataset.focus === name;
  svg.dataset.focus = already ? "" : name;
  for (const edge of svg.querySelectorAll(".edge")) {
    const on = !already && (edge.dataset.parent === name || edge.dataset.child === name);
    edge.classList.toggle("focus", on);
    edge.classList.toggle("dim", !already && !on);
  }
  for (const node of svg.querySelectorAll(".node")) node.classList.toggle("focus", !already && node.dataset.service === name);
}

export function render(container, query, context) {
  const lookback = LOOKBACKS.find(([key]) => key === query.get("lookback")) || LOOKBACKS[4];
  document.title = "Dependencies · Spur";
  const select = h("select", { "aria-label": "Lookback" }, LOOKBACKS.map(([key, label]) => h("option", { value: key, selected: key === lookback[0] }, label)));
  select.addEventListener("change", () => context.navigate("dependencies", { lookback: select.value }));
  const results = h("div", { class: "deps-results", "aria-live": "polite" }, notice("Loading dependencies…"));
  mount(container, h("div", { class: "deps-page" },
    h("div", { class: "deps-head" }, h("h1", {}, "Service dependencies"), h("label", { class: "inline" }, "Window ", select)),
    results));
  api.dependencies(lookback[2], context.signal).then(
    (links) => {
      if (!links.length) {
        mount(results, notice("No calls between services were recorded in this window.", "empty"));
        return;
      }
      const sorted = links.slice().sort((a, b) => b.callCount - a.callCount);
      const search = (service) => context.href("search", { service });
      mount(results,
        h("div", { class: "graph-scroll" }, graph(links, highlight)),
        h("table", { class: "grid dep-table" },
          h("caption", {}, `${links.length} links between ${new Set(links.flatMap((l) => [l.parent, l.child])).size} services`),
          h("thead", {}, h("tr", {}, h("th", {}, "Caller"), h("th", {}, "Callee"), h("th", {}, "Calls"))),
          h("tbody", {}, sorted.map((l) => h("tr", {},
            h("td", {}, h("a", { href: search(l.parent) }, l.parent)),
            h("td", {}, h("a", { href: search(l.child) }, l.child)),
            h("td", { class: "num" }, String(l.callCount)))))));
    },
    (error) => {
      if (error.name !== "AbortError") mount(results, notice(`Dependencies could not be loaded: ${error.message}`, "error"));
    },
  );
  return undefined;
}
