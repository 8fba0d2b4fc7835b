// The search results' scatter plot: one point per trace at (start time, duration), its size
// from the span count, red when the trace has errors. Clicking a point (or Enter on a focused
// one) opens its trace. Returns an SVG element; owns no other state.

import { s } from "./dom.js";
import { formatDuration, formatTime, shortId } from "./format.js";

const WIDTH = 900;
const HEIGHT = 200;
const MARGIN = { left: 64, right: 16, top: 12, bottom: 28 };

function ticks(min, max, count) {
  if (max <= min) return [min];
  return Array.from({ length: count + 1 }, (_, i) => min + ((max - min) * i) / count);
}

function clock(micros) {
  const date = new Date(micros / 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The plot of `summaries` (from model.summarize); `open(id)` is called for a chosen point. */
export function scatterPlot(summaries, open) {
  const starts = summaries.map((t) => t.start);
  let minX = Math.min(...starts);
  let maxX = Math.max(...starts);
  if (maxX - minX < 1_000_000) {
    minX -= 500_000;
    maxX += 500_000;
  }
  const maxY = Math.max(...summaries.map((t) => t.duration), 1) * 1.1;
  const maxSpans = Math.max(...summaries.map((t) => t.spanCount), 1);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v) => MARGIN.left + ((v - minX) / (maxX - minX)) * plotW;
  const y = (v) => MARGIN.top + plotH - (v / maxY) * plotH;

  const svg = s("svg", {
    class: "scatter-plot", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "group",
    "aria-label": `Duration of ${summaries.length} traces against their start time`,
  });
  const grid = s("g", { class: "axis" });
  for (const value of ticks(0, maxY, 4)) {
    grid.append(
      s("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }),
      s("text", { x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, formatDuration(value)),
    );
  }
  const xTicks = ticks(minX, maxX, 5);
  xTicks.forEach((value, i) => {
    const anchor = i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle";
    grid.append(s("text", { x: x(value), y: HEIGHT - 8, "text-anchor": anchor }, clock(value)));
  });
  svg.append(grid);
  const points = s("g", { class: "points" });
  // Large points first so small ones stay clickable on top.
  const ordered = summaries.slice().sort((a, b) => b.spanCount - a.spanCount);
  for (const trace of ordered) {
    const radius = 4 + 8 * Math.sqrt(trace.spanCount / maxSpans);
    const label = `${trace.rootService}: ${trace.rootOperation} (${shortId(trace.id)}), ` +
      `${formatDuration(trace.duration)}, ${trace.spanCount} spans, ${formatTime(trace.start)}`;
    const point = s("circle", {
      class: trace.errorCount ? "point point-error" : "point",
      cx: x(trace.start).toFixed(1), cy: y(trace.duration).toFixed(1), r: radius.toFixed(1),
      tabindex: "0", role: "link", "aria-label": label, dataset: { traceId: trace.id },
    }, s("title", {}, label));
    point.addEventListener("click", () => open(trace.id));
    point.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open(trace.id);
      }
    });
    points.append(point);
  }
  svg.append(points);
  return svg;
}
