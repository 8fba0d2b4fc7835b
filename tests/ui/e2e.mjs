// Browser tests of the Spur web UI: playwright-core drives Debian's chromium (headless) against
// an all-in-one that run.sh started and filled with send_traces.py's traces (ids in
// SPUR_UI_SENT). One browser, one page per test; every console error or uncaught exception
// on any page fails the last test. Screenshots and the 10,000-span timing go to
// SPUR_UI_ARTIFACTS. Run with `node --test --test-concurrency=1 e2e.mjs` (run.sh does).

import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.SPUR_UI_URL || "http://127.0.0.1:16686/";
const ARTIFACTS = process.env.SPUR_UI_ARTIFACTS || "artifacts";
const SENT = JSON.parse(readFileSync(process.env.SPUR_UI_SENT || join(ARTIFACTS, "sent.json"), "utf8"));
const IDS = SENT.traces;
const CHECKOUTS = Object.keys(IDS).filter((name) => /^(checkout|compare)/.test(name)).length;
const BIG_SPANS = Number(process.env.SPUR_UI_BIG_SPANS || 10000);

mkdirSync(ARTIFACTS, { recursive: true });
const problems = [];
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.SPUR_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * A fresh page that records console errors and uncaught exceptions; `expected` lists console
 * errors the test provokes on purpose (the browser logs a failed request such as a 404).
 */
async function open(path, { width = 1400, height = 900, expected = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    if (expected.some((pattern) => pattern.test(message.text()))) return;
    problems.push(`${path}: console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${path}: uncaught: ${error.message}`));
  page.setDefaultTimeout(15_000);
  await page.goto(new URL(path, BASE).href);
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

const rows = (page) => page.locator(".tl-row");

test("the search page finds a service's traces (autocomplete, list, scatter plot)", async () => {
  const page = await open("search");
  const options = page.locator("#service-names option");
  await assert.doesNotReject(options.first().waitFor({ state: "attached" }));
  const names = await options.evaluateAll((list) => list.map((o) => o.value));
  for (const service of ["web-frontend", "cart-service", "payment-service", "redis", "bulk-loader"]) {
    assert.ok(names.includes(service), `autocomplete lacks ${service}: ${names}`);
  }
  await page.fill("input[name=service]", "web-frontend");
  await page.dispatchEvent("input[name=service]", "change");
  await page.locator("select[name=operation] option", { hasText: "GET /checkout" }).waitFor({ state: "attached" });
  await page.selectOption("select[name=lookback]", "1h");
  await page.click(".search-form button[type=submit]");
  await page.waitForURL(/search\?service=web-frontend/);
  await page.locator(".result").first().waitFor();
  assert.equal(await page.locator(".result").count(), CHECKOUTS);
  assert.equal(await page.locator(".scatter-plot .point").count(), CHECKOUTS);
  assert.equal(await page.locator(".scatter-plot .point-error").count(), 1);
  const first = page.locator(".result").first();
  assert.match(await first.locator(".result-link").textContent(), /web-frontend: GET \/checkout/);
  assert.match(await first.locator(".span-count").textContent(), /^\d+ spans$/);
  const errorTrace = page.locator(`.result[data-trace-id="${IDS.checkout_error}"]`);
  assert.match(await errorTrace.locator(".error-count").textContent(), /2 errors/);
  assert.match(await errorTrace.locator(".service-chips").textContent(), /payment-service \(1\)/);
  await shot(page, "search");
  await page.context().close();
});

test("filters and sorting are kept in the URL", async () => {
  const page = await open("search?service=web-frontend&tags=http.status_code%3D500&lookback=2h");
  await page.locator(".result").first().waitFor();
  assert.equal(await page.locator(".result").count(), 1);
  assert.equal(await page.locator(".result").first().getAttribute("data-trace-id"), IDS.checkout_error);
  assert.equal(await page.inputValue("input[name=tags]"), "http.status_code=500");
  await page.goto(new URL("search?service=web-frontend&minDuration=100ms", BASE).href);
  await page.locator(".result").first().waitFor();
  const slow = await page.locator(".result").evaluateAll((list) => list.map((r) => r.dataset.traceId));
  assert.ok(slow.includes(IDS.compare_b) && !slow.includes(IDS.compare_a), `minDuration: ${slow}`);
  await page.goto(new URL("search?service=web-frontend&sort=spans", BASE).href);
  await page.locator(".result").first().waitFor();
  assert.equal(await page.inputValue("select[aria-label='Sort results']"), "spans");
  assert.equal(await page.locator(".result").first().getAttribute("data-trace-id"), IDS.compare_b);
  await page.selectOption("select[aria-label='Sort results']", "longest");
  await page.waitForURL(/sort=longest/);
  assert.equal(await page.locator(".result").first().getAttribute("data-trace-id"), IDS.compare_b);
  const problem = await open("search?service=web-frontend&minDuration=fast");
  await problem.locator(".notice-error").waitFor();
  assert.match(await problem.locator(".notice-error").textContent(), /minDuration/);
  await problem.context().close();
  await page.context().close();
});

test("a scatter-plot point opens its trace", async () => {
  const page = await open("search?service=web-frontend");
  await page.locator(`.scatter-plot .point[data-trace-id="${IDS.checkout_error}"]`).click();
  await page.waitForURL(new RegExp(`trace/${IDS.checkout_error}`));
  await rows(page).first().waitFor();
  assert.equal(await rows(page).count(), 6);
  await page.goBack();
  await page.locator(".result").first().waitFor();
  await page.context().close();
});

test("a trace opens from the results: timeline, collapse and expand, details, keyboard", async () => {
  const page = await open("search?service=web-frontend");
  await page.locator(`.result[data-trace-id="${IDS.checkout_error}"] .result-link`).click();
  await page.waitForURL(new RegExp(`trace/${IDS.checkout_error}$`));
  await rows(page).first().waitFor();
  assert.equal(await rows(page).count(), 6);
  assert.match(await page.locator(".trace-head h1").textContent(), /web-frontend: GET \/checkout/);
  assert.equal(await page.locator(".tl-tick").count(), 5);
  assert.equal(await page.locator(".tl-row.error").count(), 2);
  assert.ok((await page.locator(".tl-row.critical").count()) >= 3, "critical path highlighted");
  assert.ok((await page.locator(".tl-crit").count()) >= 3);

  // Collapse the root: only it stays; expand it again.
  const root = rows(page).first();
  await root.locator(".tl-toggle").click();
  assert.equal(await rows(page).count(), 1);
  assert.equal(await root.getAttribute("aria-expanded"), "false");
  assert.match(page.url(), /collapsed=/);
  await rows(page).first().locator(".tl-toggle").click();
  assert.equal(await rows(page).count(), 6);
  await page.click("text=Collapse all");
  assert.equal(await rows(page).count(), 3);
  await page.click("text=Expand all");
  assert.equal(await rows(page).count(), 6);

  // Details of the failing payment span.
  await page.locator(".tl-row", { hasText: "POST /charge" }).click();
  const detail = page.locator(".detail");
  await detail.waitFor();
  assert.match(await detail.locator("h3").textContent(), /POST \/charge/);
  assert.match(await detail.textContent(), /payment\.amount/);
  assert.match(await detail.textContent(), /host\.name/);
  assert.match(await detail.locator(".logs").textContent(), /card declined/);
  assert.match(await detail.locator(".refs").textContent(), /CHILD_OF/);
  assert.match(page.url(), /span=[0-9a-f]{16}/);
  await shot(page, "trace");

  // Keyboard: Home, down, right, left, Enter.
  await page.focus(".tl-viewport");
  await page.keyboard.press("Home");
  assert.equal(await page.locator(".tl-row.selected").getAttribute("data-index"), "0");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.locator(".tl-row.selected").getAttribute("data-index"), "1");
  await page.keyboard.press("ArrowLeft");
  assert.equal(await rows(page).count(), 4, "left collapses the client span");
  await page.keyboard.press("ArrowRight");
  assert.equal(await rows(page).count(), 6, "right expands it");
  await page.keyboard.press("ArrowRight");
  assert.match(await page.locator(".tl-row.selected").textContent(), /cart-service/);
  await page.keyboard.press("Enter");
  assert.match(await detail.locator("h3").textContent(), /GET \/cart/);
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowLeft");
  assert.match(await page.locator(".tl-row.selected").textContent(), /HTTP GET cart/);
  await page.context().close();
});

test("clock-skew warnings are marked on the row and listed in the details", async () => {
  const page = await open(`trace/${IDS.skewed}`);
  await rows(page).first().waitFor();
  const child = page.locator(".tl-row", { hasText: "POST /sync" });
  assert.equal(await child.locator(".tl-mark-warning").count(), 1);
  await child.click();
  const warnings = page.locator(".detail .warnings");
  await warnings.waitFor();
  assert.match(await warnings.textContent(), /clock skew adjustment disabled/);
  // Escape closes the details.
  await page.focus(".tl-viewport");
  await page.keyboard.press("Escape");
  assert.equal(await page.locator(".detail").count(), 0);
  assert.doesNotMatch(page.url(), /span=/);
  await page.locator("a.button-link", { hasText: "Compare" }).click();
  await page.waitForURL(new RegExp(`compare\\?a=${IDS.skewed}`));
  assert.equal(await page.inputValue("input[name=a]"), IDS.skewed);
  await page.context().close();
});

test("find in a trace, its JSON view and download", async () => {
  const page = await open(`trace/${IDS.checkout_error}`);
  await rows(page).first().waitFor();
  await page.fill("input.find", "redis");
  await page.locator(".find-count", { hasText: "of 1" }).waitFor();
  assert.equal(await page.locator(".tl-row.match").count(), 1);
  await page.press("input.find", "Enter");
  assert.match(await page.locator(".tl-row.selected").textContent(), /HGETALL/);
  assert.match(page.url(), /find=redis/);
  await page.fill("input.find", "payment.amount=19.99");
  await page.locator(".find-count", { hasText: "of 1" }).waitFor();

  await page.click("button:text('JSON')");
  const json = JSON.parse(await page.locator(".json-view pre").textContent());
  assert.equal(json.traceID, IDS.checkout_error);
  assert.equal(json.spans.length, 6);
  assert.match(page.url(), /view=json/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("button:text('Download')")]);
  assert.equal(download.suggestedFilename(), `trace-${IDS.checkout_error}.json`);
  const saved = join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(saved);
  const file = JSON.parse(readFileSync(saved, "utf8"));
  assert.equal(file.data[0].spans.length, 6);
  await page.click("button:text('JSON')");
  await rows(page).first().waitFor();
  await page.context().close();
});

test("a deep link restores the selected span, search text and collapsed spans", async () => {
  const api = await (await fetch(new URL(`api/traces/${IDS.checkout_error}`, BASE))).json();
  const redis = api.data[0].spans.find((span) => span.operationName === "HGETALL");
  const payClient = api.data[0].spans.find((span) => span.operationName === "HTTP POST charge");
  const page = await open(`trace/${IDS.checkout_error}?span=${redis.spanID}&find=cart&collapsed=${payClient.spanID}`);
  await page.locator(".detail").waitFor();
  assert.match(await page.locator(".detail h3").textContent(), /HGETALL/);
  assert.equal(await page.inputValue("input.find"), "cart");
  assert.equal(await page.locator(".tl-row.selected").getAttribute("data-id"), redis.spanID);
  assert.equal(await rows(page).count(), 5, "the payment client's child is hidden");
  assert.ok((await page.locator(".tl-row.match").count()) >= 2);
  // Reload keeps it (the server falls back to the page for the route).
  await page.reload();
  await page.locator(".detail").waitFor();
  assert.match(await page.locator(".detail h3").textContent(), /HGETALL/);
  const missing = await open("trace/00000000000000000000000000000bad", { expected: [/status of 404/] });
  await missing.locator(".notice-error").waitFor();
  assert.match(await missing.locator(".notice-error").textContent(), /not found/);
  await missing.context().close();
  await page.context().close();
});

test("two traces picked in the results are compared", async () => {
  const page = await open("search?service=web-frontend");
  await page.locator(".result").first().waitFor();
  await page.check(`.result[data-trace-id="${IDS.compare_a}"] input.pick`);
  await page.check(`.result[data-trace-id="${IDS.compare_b}"] input.pick`);
  await page.click(".compare-button");
  await page.waitForURL(/compare\?a=/);
  await page.locator(".only-b table").waitFor();
  assert.match(await page.locator(".only-b").textContent(), /fraud-check: score/);
  assert.match(await page.locator(".only-a").textContent(), /None/);
  assert.match(await page.locator(".by-operation").textContent(), /cart-service: GET \/cart/);
  assert.ok((await page.locator(".by-operation .slower").count()) >= 3);
  await shot(page, "compare");
  await page.context().close();
});

test("the dependency graph shows the services and call counts", async () => {
  // Links are stored every second (run.sh's dependencies.flush-interval); wait for the last ones.
  let links = [];
  for (let i = 0; i < 100; i++) {
    const response = await fetch(new URL(`api/dependencies?endTs=${Date.now()}&lookback=3600000`, BASE));
    links = (await response.json()).data || [];
    if (links.some((l) => l.child === "fraud-check") && links.some((l) => l.child === "bulk-storage")) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const page = await open("dependencies?lookback=1h");
  await page.locator(".dep-graph").waitFor();
  for (const service of ["web-frontend", "cart-service", "redis", "payment-service", "fraud-check"]) {
    assert.equal(await page.locator(`.dep-graph .node[data-service="${service}"]`).count(), 1, service);
  }
  const edge = page.locator('.dep-graph .edge[data-parent="web-frontend"][data-child="cart-service"]');
  assert.equal(await edge.locator(".edge-label").textContent(), String(CHECKOUTS));
  assert.equal(await page.locator('.dep-graph .edge[data-parent="payment-service"][data-child="fraud-check"] .edge-label').textContent(), "1");
  await page.locator('.dep-graph .node[data-service="cart-service"]').click();
  assert.equal(await page.locator(".dep-graph .edge.focus").count(), 2);
  assert.match(await page.locator(".dep-table").textContent(), /bulk-loaderbulk-storage/);
  await shot(page, "dependencies");
  await page.context().close();
});

test(`a ${BIG_SPANS}-span trace opens and scrolls within a few seconds`, async () => {
  const started = Date.now();
  const page = await open(`trace/${IDS.big}`);
  await rows(page).first().waitFor({ timeout: 20_000 });
  const opened = Date.now() - started;
  const timing = await page.evaluate(() => ({
    render: performance.getEntriesByName("spur-trace-render")[0]?.duration,
    fetched: performance.getEntriesByName("spur-trace-fetched")[0]?.startTime,
  }));
  assert.equal(await page.locator(".trace-span-count").textContent(), String(BIG_SPANS));
  const inDom = await rows(page).count();
  assert.ok(inDom < 200, `rows are virtualised (${inDom} in the DOM)`);
  // Scroll through: to the end, the middle, back to the top.
  const scrollStarted = Date.now();
  for (const fraction of [1, 0.5, 0.25, 0.75, 0]) {
    await page.evaluate((f) => {
      const viewport = document.querySelector(".tl-viewport");
      viewport.scrollTop = (viewport.scrollHeight - viewport.clientHeight) * f;
    }, fraction);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    if (fraction === 1) {
      await page.locator(".tl-row.error", { hasText: "write item" }).waitFor();
      await shot(page, "trace-10000-bottom");
    }
  }
  const scrolled = Date.now() - scrollStarted;
  // Keyboard on the big tree: End selects the last row, collapse all leaves root + batches.
  await page.focus(".tl-viewport");
  await page.keyboard.press("End");
  assert.match(await page.locator(".tl-row.selected").textContent(), /write item/);
  const collapseStarted = Date.now();
  await page.click("text=Collapse all");
  const collapsed = Date.now() - collapseStarted;
  assert.equal(await page.locator(".tl-viewport .tl-spacer").evaluate((e) => parseInt(e.style.height, 10) / 26), 100);
  // The batch holding the failed item says so while collapsed.
  await page.focus(".tl-viewport");
  await page.keyboard.press("End");
  assert.match(await page.locator(".tl-row.selected").textContent(), /batch 98/);
  assert.equal(await page.locator(".tl-row.selected .tl-mark-hidden-error").count(), 1);
  await shot(page, "trace-10000");
  const result = { spans: BIG_SPANS, openMillis: opened, renderMillis: timing.render, fetchedAtMillis: timing.fetched, scrollFivePositionsMillis: scrolled, collapseAllMillis: collapsed };
  writeFileSync(join(ARTIFACTS, "big-trace-timing.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`# big trace: ${JSON.stringify(result)}`);
  assert.ok(opened < 8000, `opening took ${opened} ms`);
  assert.ok(scrolled < 3000, `scrolling took ${scrolled} ms`);
  await page.context().close();
});

test("the pages work in a narrow window", async () => {
  const page = await open(`trace/${IDS.checkout_error}`, { width: 420, height: 800 });
  await rows(page).first().waitFor();
  await rows(page).nth(2).click();
  await page.locator(".detail").waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 440, `no sideways scrolling (${width}px)`);
  await shot(page, "trace-narrow");
  await page.context().close();
});

test("no console errors or uncaught exceptions on any page", () => {
  for (const file of ["search.png", "trace.png", "compare.png", "dependencies.png", "trace-10000.png"]) {
    assert.ok(statSync(join(ARTIFACTS, file)).size > 1000, `screenshot ${file}`);
  }
  assert.deepEqual(problems, []);
});
