// The trace timeline (Gantt chart): one row per visible span in tree order, its bar placed on
// the trace's time axis in its service's colour, critical-path segments drawn over the bar,
// errors and warnings marked, a time ruler on top. Only the rows in view are in the DOM
// (virtualised), so 10,000 spans scroll like 10. Keyboard: up/down move, left collapses or
// goes to the parent, right expands or goes to the first child, Enter opens the details,
// Home/End jump. Owns the collapse/selection/match state it is given; the page owns the URL.

import { escapeHtml, h } from "./dom.js";
import { formatDuration, serviceColor } from "./format.js";

const ROW_HEIGHT = 26;
const OVERSCAN = 12;
const INDENT = 14;
const MAX_INDENT_LEVELS = 30;

export class Timeline {
  /**
   * `options`: collapsed (Set of span ids), selected (id or null), critical (Map from
   * criticalPath), showCritical, onSelect(id), onOpen(id), onCollapse(set).
   */
  constructor(trace, options) {
    this.trace = trace;
    this.collapsed = options.collapsed || new Set();
    this.selected = options.selected || null;
    this.matches = new Set();
    this.critical = options.critical || new Map();
    this.showCritical = options.showCritical !== false;
    this.onSelect = options.onSelect || (() => {});
    this.onOpen = options.onOpen || (() => {});
    this.onCollapse = options.onCollapse || (() => {});
    this.visible = [];
    this.frame = 0;
    this.lastRange = "";

    this.rows = h("div", { class: "tl-rows" });
    this.spacer = h("div", { class: "tl-spacer" }, this.rows);
    this.viewport = h("div", {
      class: "tl-viewport", tabindex: "0", role: "tree",
      "aria-label": `Spans of trace ${trace.id}; arrows move, left and right collapse and expand, Enter shows details`,
    }, this.spacer);
    this.element = h("div", { class: "timeline" }, this.ruler(), this.viewport);

    this.viewport.addEventListener("scroll", () => this.schedule());
    this.viewport.addEventListener("click", (event) => this.click(event));
    this.viewport.addEventListener("keydown", (event) => this.key(event));
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(this.viewport);
    this.refresh();
  }

  destroy() {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
  }

  ruler() {
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) =>
      h("span", { class: "tl-tick", style: `left:${fraction * 100}%` }, formatDuration(this.trace.duration * fraction)));
    return h("div", { class: "tl-header", "aria-hidden": "true" },
      h("div", { class: "tl-name-head" }, "Service & operation"),
      h("div", { class: "tl-ruler" }, ticks));
  }

  /** Recomputes which spans are visible (collapsed subtrees hidden) and redraws. */
  refresh() {
    const visible = [];
    const spans = this.trace.spans;
    for (let i = 0; i < spans.length; i++) {
      const node = spans[i];
      visible.push(node);
      if (this.collapsed.has(node.id) && node.children.length) {
        let j = i + 1;
        while (j < spans.length && spans[j].depth > node.depth) j++;
        i = j - 1;
      }
    }
    this.visible = visible;
    this.positions = new Map(visible.map((node, index) => [node.id, index]));
    this.spacer.style.height = `${visible.length * ROW_HEIGHT}px`;
    this.lastRange = "";
    this.draw();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const height = this.viewport.clientHeight || 600;
    const first = Math.max(Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - OVERSCAN, 0);
    const last = Math.min(first + Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN, this.visible.length);
    const range = `${first}:${last}`;
    if (range === this.lastRange) return;
    this.lastRange = range;
    const html = [];
    for (let i = first; i < last; i++) html.push(this.rowHtml(this.visible[i], i));
    this.rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    this.rows.innerHTML = html.join("");
    if (this.selected && this.positions.has(this.selected)) {
      this.viewport.setAttribute("aria-activedescendant", `row-${this.selected}`);
    } else {
      this.viewport.removeAttribute("aria-activedescendant");
    }
  }

  /** Forces the rows in view to be rebuilt (selection, matches or critical path changed). */
  redraw() {
    this.lastRange = "";
    this.draw();
  }

  rowHtml(node, index) {
    const trace = this.trace;
    const span = trace.duration || 1;
    const left = ((node.start - trace.start) / span) * 100;
    const width = Math.max((node.duration / span) * 100, 0.15);
    const color = serviceColor(node.service);
    const hasChildren = node.children.length > 0;
    const collapsed = this.collapsed.has(node.id);
    const classes = ["tl-row"];
    if (node.id === this.selected) classes.push("selected");
    if (this.matches.has(node.id)) classes.push("match");
    if (node.error) classes.push("error");
    const segments = this.showCritical ? this.critical.get(node.id) : null;
    if (segments) classes.push("critical");
    const indent = Math.min(node.depth, MAX_INDENT_LEVELS) * INDENT;
    const toggle = hasChildren
      ? `<button class="tl-toggle" tabindex="-1" data-toggle="${escapeHtml(node.id)}" aria-label="${collapsed ? "Expand" : "Collapse"}">${collapsed ? "▸" : "▾"}</button>`
      : `<span class="tl-toggle-space"></span>`;
    const marks = [
      node.error ? `<span class="tl-mark tl-mark-error" title="error">!</span>` : "",
      node.warnings.length ? `<span class="tl-mark tl-mark-warning" title="${escapeHtml(node.warnings.join("; "))}">⚠</span>` : "",
      collapsed ? `<span class="tl-hidden-count" title="hidden descendants">+${node.descendants}</span>` : "",
      collapsed && node.descendantErrors
        ? `<span class="tl-mark tl-mark-hidden-error" title="${node.descendantErrors} hidden span(s) failed">${node.descendantErrors} !</span>`
        : "",
    ].join("");
    let critical = "";
    if (segments && node.duration > 0) {
      critical = segments.map(([from, to]) => {
        const l = ((from - node.start) / node.duration) * 100;
        const w = ((to - from) / node.duration) * 100;
        return `<span class="tl-crit" style="left:${l.toFixed(3)}%;width:${w.toFixed(3)}%"></span>`;
      }).join("");
    }
    // The duration goes right of the bar, else left of it, else (a bar spanning the track) inside.
    let place = `left:${(left + width).toFixed(3)}%`;
    let where = "";
    if (left + width > 80) {
      if (left > 12) place = `right:${(100 - left).toFixed(3)}%`;
      else {
        place = `right:${(100 - left - width).toFixed(3)}%`;
        where = "tl-label-inside";
      }
    }
    const label = `<span class="tl-label ${where}" style="${place}">${formatDuration(node.duration)}</span>`;
    return `<div class="${classes.join(" ")}" id="row-${escapeHtml(node.id)}" role="treeitem" data-id="${escapeHtml(node.id)}" data-index="${index}"` +
      ` aria-level="${node.depth + 1}" aria-selected="${node.id === this.selected}"${hasChildren ? ` aria-expanded="${!collapsed}"` : ""}` +
      ` style="height:${ROW_HEIGHT}px">` +
      `<div class="tl-name" style="padding-left:${indent + 4}px" title="${escapeHtml(`${node.service}: ${node.operation}`)}">${toggle}` +
      `<span class="tl-svc" style="border-left-color:${color}">${escapeHtml(node.service)}</span>` +
      `<span class="tl-op">${escapeHtml(node.operation)}</span>${marks}</div>` +
      `<div class="tl-track"><div class="tl-bar" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%;background:${color}">${critical}</div>${label}</div>` +
      `</div>`;
  }

  click(event) {
    const toggle = event.target.closest("[data-toggle]");
    if (toggle) {
      this.toggle(toggle.dataset.toggle);
      return;
    }
    const row = event.target.closest(".tl-row");
    if (!row) return;
    this.select(row.dataset.id, { scroll: false });
    this.onOpen(row.dataset.id);
    this.viewport.focus({ preventScroll: true });
  }

  key(event) {
    const keys = ["ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "Enter", "Home", "End", "PageDown", "PageUp"];
    if (!keys.includes(event.key)) return;
    event.preventDefault();
    if (!this.visible.length) return;
    const current = this.positions.get(this.selected);
    const node = current === undefined ? null : this.visible[current];
    const page = Math.max(Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1, 1);
    const go = (index) => this.select(this.visible[Math.min(Math.max(index, 0), this.visible.length - 1)].id);
    if (!node) {
      go(event.key === "End" ? this.visible.length - 1 : 0);
      return;
    }
    switch (event.key) {
      case "ArrowDown": go(current + 1); break;
      case "ArrowUp": go(current - 1); break;
      case "PageDown": go(current + page); break;
      case "PageUp": go(current - page); break;
      case "Home": go(0); break;
      case "End": go(this.visible.length - 1); break;
      case "ArrowRight":
        if (!node.children.length) break;
        if (this.collapsed.has(node.id)) this.toggle(node.id);
        else this.select(node.children[0].id);
        break;
      case "ArrowLeft":
        if (node.children.length && !this.collapsed.has(node.id)) this.toggle(node.id);
        else if (node.parent) this.select(node.parent.id);
        break;
      case "Enter": this.onOpen(node.id); break;
      default: break;
    }
  }

  toggle(id) {
    if (this.collapsed.has(id)) this.collapsed.delete(id);
    else this.collapsed.add(id);
    this.refresh();
    this.onCollapse(this.collapsed);
  }

  setCollapsed(ids) {
    this.collapsed = new Set(ids);
    this.refresh();
    this.onCollapse(this.collapsed);
  }

  /** Expands every ancestor of a span so its row is visible. */
  reveal(id) {
    let node = this.trace.byId.get(id)?.parent;
    let changed = false;
    while (node) {
      if (this.collapsed.delete(node.id)) changed = true;
      node = node.parent;
    }
    if (changed) {
      this.refresh();
      this.onCollapse(this.collapsed);
    }
  }

  select(id, { scroll = true } = {}) {
    if (!this.trace.byId.has(id)) return;
    this.reveal(id);
    this.selected = id;
    if (scroll) this.scrollTo(id);
    this.redraw();
    this.onSelect(id);
  }

  scrollTo(id) {
    const index = this.positions.get(id);
    if (index === undefined) return;
    const top = index * ROW_HEIGHT;
    const view = this.viewport;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + ROW_HEIGHT > view.scrollTop + view.clientHeight) view.scrollTop = top + ROW_HEIGHT - view.clientHeight;
  }

  setMatches(ids) {
    this.matches = ids;
    this.redraw();
  }

  setShowCritical(on) {
    this.showCritical = on;
    this.redraw();
  }

  focus() {
    this.viewport.focus({ preventScroll: true });
  }
}
