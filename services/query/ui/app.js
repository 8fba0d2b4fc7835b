// The UI's entry point and router. Routes are paths under the page's <base href> (so they work
// behind query.base-path and survive a reload thanks to the server's fallback to index.html):
//
//   search?service=&operation=&tags=&lookback=&start=&end=&minDuration=&maxDuration=&limit=&sort=
//   trace/<id>?span=&find=&collapsed=&view=json
//   compare?a=<id>&b=<id>
//   dependencies?lookback=
//
// Every state a page has lives in its URL, so any view can be shared. Pages are modules with
// `render(container, query, context)` returning an optional cleanup function.

import * as search from "./search.js";
import * as tracePage from "./trace.js";
import * as compare from "./compare.js";
import * as deps from "./deps.js";
import { mount, notice } from "./dom.js";

const container = document.getElementById("app");
const basePath = new URL(document.baseURI).pathname; // ends with "/"
let cleanup = null;
let controller = null;

/** The route (path after the base, no leading slash) and query of the current location. */
function currentRoute() {
  let path = window.location.pathname;
  if (path.startsWith(basePath)) path = path.slice(basePath.length);
  else if (`${path}/` === basePath) path = "";
  return { path: decodeURIComponent(path).replace(/\/+$/, ""), query: new URLSearchParams(window.location.search) };
}

/** An address for a route with query parameters (empty values dropped). */
export function href(path, params = {}) {
  const url = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(key, v));
    else url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}

/** Goes to a route and renders it. */
export function navigate(path, params = {}, { replace = false } = {}) {
  const target = href(path, params);
  if (replace) window.history.replaceState(null, "", target);
  else window.history.pushState(null, "", target);
  render();
}

/** Rewrites the current URL's query without rendering again (a page's own state changes). */
export function updateQuery(params) {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "" || value === false) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  window.history.replaceState(null, "", url.pathname + url.search);
}

const ROUTES = [
  { pattern: /^(?:search)?$/, page: search, nav: "search" },
  { pattern: /^trace\/([0-9a-fA-F]{1,32})$/, page: tracePage, nav: "search" },
  { pattern: /^compare$/, page: compare, nav: "compare" },
  { pattern: /^dependencies$/, page: deps, nav: "dependencies" },
];

function render() {
  if (cleanup) {
    try {
      cleanup();
    } catch {
      // a page failing to clean up must not stop the next one
    }
    cleanup = null;
  }
  if (controller) controller.abort();
  controller = new AbortController();
  const { path, query } = currentRoute();
  const route = ROUTES.find((candidate) => candidate.pattern.test(path));
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (route && link.dataset.nav === route.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!route) {
    document.title = "Not found · Spur";
    mount(container, notice(`No page at “${path}”.`, "error"));
    return;
  }
  const match = route.pattern.exec(path);
  const context = { navigate, href, updateQuery, signal: controller.signal, params: match.slice(1) };
  window.scrollTo(0, 0);
  const result = route.page.render(container, query, context);
  cleanup = typeof result === "function" ? result : null;
}

// Same-page links go through the router instead of reloading the page.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[href]");
  if (!link || link.hasAttribute("download") || link.target) return;
  const url = new URL(link.href, document.baseURI);
  if (url.origin !== window.location.origin || !url.pathname.startsWith(basePath)) return;
  if (url.pathname.startsWith(`${basePath}api/`) || url.pathname.startsWith(`${basePath}static/`)) return;
  event.preventDefault();
  if (url.pathname + url.search === window.location.pathname + window.location.search) return;
  window.history.pushState(null, "", url.pathname + url.search);
  render();
});

window.addEventListener("popstate", render);

// The header's "open a trace by id" box.
document.getElementById("lookup")?.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.target.elements.id;
  const id = input.value.trim().toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(id)) {
    input.setCustomValidity("a trace id is 1 to 32 hexadecimal digits");
    input.reportValidity();
    return;
  }
  input.setCustomValidity("");
  input.value = "";
  navigate(`trace/${id}`);
});
// A request cancelled by leaving its page is not a failure; anything else unexpected is shown
// on the page too (and still reaches the console, where the browser tests look for it).
window.addEventListener("unhandledrejection", (event) => {
  if (event.reason && event.reason.name === "AbortError") {
    event.preventDefault();
    return;
  }
  container.prepend(notice(`Something went wrong: ${event.reason?.message ?? event.reason}`, "error"));
});

render();
