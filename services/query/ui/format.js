// Formatting of durations, times and ids, and the service colour palette. Pure functions.

/** A duration in microseconds as a short human text: 820µs, 12.3ms, 1.25s, 2m 5s. */
export function formatDuration(micros) {
  if (!Number.isFinite(micros)) return "–";
  const abs = Math.abs(micros);
  if (abs < 1000) return `${trim(micros, 0)}µs`;
  if (abs < 1_000_000) return `${trim(micros / 1000, abs < 10_000 ? 2 : 1)}ms`;
  if (abs < 60_000_000) return `${trim(micros / 1_000_000, 2)}s`;
  const minutes = Math.floor(abs / 60_000_000);
  const seconds = Math.round((abs % 60_000_000) / 1_000_000);
  if (minutes < 60) return `${micros < 0 ? "-" : ""}${minutes}m ${seconds}s`;
  const hours = Math.floor(minutes / 60);
  return `${micros < 0 ? "-" : ""}${hours}h ${minutes % 60}m`;
}

function trim(value, digits) {
  return String(Number(value.toFixed(digits)));
}

/** Microseconds since the epoch as local date and time with milliseconds. */
export function formatTime(micros) {
  const date = new Date(micros / 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** How long ago, roughly: "5 minutes ago". */
export function formatAgo(micros, nowMillis = Date.now()) {
  const seconds = Math.round((nowMillis - micros / 1000) / 1000);
  if (seconds < 60) return `${Math.max(seconds, 0)}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** The first characters of a trace or span id, as Jaeger shows them. */
export function shortId(id) {
  return String(id).slice(0, 7);
}

/** Go duration text ("250ms", "1.5s", "2m") to microseconds; null if unreadable. */
export function parseDuration(text) {
  const units = { ns: 0.001, us: 1, "µs": 1, ms: 1000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)\s*$/.exec(String(text));
  if (!match) return null;
  return Number(match[1]) * units[match[2]];
}

// Readable on white and distinct from each other (and from the error red).
const PALETTE = [
  "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#3949ab", "#00897b", "#6d4c41", "#c2185b", "#5e35b1", "#43a047", "#fb8c00",
];

/** One colour per service, stable for a name across pages and reloads. */
export function serviceColor(name) {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return PALETTE[(hash >>> 0) % PALETTE.length];
}

/** A tag or log field value as text. */
export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
