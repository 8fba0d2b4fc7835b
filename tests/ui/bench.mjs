// Benchmark of the trace page in headless chromium: opens send_traces.py's 10,000-span trace
// ROUNDS times in fresh pages and reports the median and worst of
//   - open: navigation start to the rows drawn (page load, API fetch, JSON parse, model, draw),
//   - render: API answer received to the rows drawn (model, critical path, first rows),
//   - scroll frame: one scroll step to the next frame with new rows, over 60 steps.
// Not a pass/fail test: prints one JSON line and writes SPUR_UI_ARTIFACTS/bench.json.
// Started by `bash tests/ui/run.sh bench` (release binary), part of `make bench`.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.SPUR_UI_URL;
const ARTIFACTS = process.env.SPUR_UI_ARTIFACTS;
const SENT = JSON.parse(readFileSync(process.env.SPUR_UI_SENT, "utf8"));
const ROUNDS = Number(process.env.SPUR_UI_BENCH_ROUNDS || 7);

const median = (values) => {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const round = (value) => Math.round(value * 10) / 10;

const apiBytes = (await (await fetch(new URL(`api/traces/${SENT.traces.big}`, BASE))).arrayBuffer()).byteLength;
const browser = await chromium.launch({
  executablePath: process.env.SPUR_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const opens = [];
const renders = [];
const frames = [];
for (let i = 0; i < ROUNDS; i++) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(new URL(`trace/${SENT.traces.big}`, BASE).href);
  await page.locator(".tl-row").first().waitFor({ timeout: 30_000 });
  const timing = await page.evaluate(() => ({
    rendered: performance.getEntriesByName("spur-trace-rendered")[0].startTime,
    render: performance.getEntriesByName("spur-trace-render")[0].duration,
  }));
  opens.push(timing.rendered);
  renders.push(timing.render);
  const steps = await page.evaluate(async () => {
    const viewport = document.querySelector(".tl-viewport");
    const times = [];
    for (let step = 1; step <= 60; step++) {
      const started = performance.now();
      viewport.scrollTop = (viewport.scrollHeight * step) / 61;
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      times.push(performance.now() - started);
    }
    return times;
  });
  frames.push(...steps);
  await context.close();
}
await browser.close();
const result = {
  spans: 10000,
  rounds: ROUNDS,
  apiBytes,
  openMedianMillis: round(median(opens)),
  openWorstMillis: round(Math.max(...opens)),
  renderMedianMillis: round(median(renders)),
  renderWorstMillis: round(Math.max(...renders)),
  scrollFrameMedianMillis: round(median(frames)),
  scrollFrameWorstMillis: round(Math.max(...frames)),
};
writeFileSync(join(ARTIFACTS, "bench.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
