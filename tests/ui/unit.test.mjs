// Unit tests of the UI's pure modules (no browser): the trace model, the critical path, the
// compare grouping, the dependency layout, tag and duration parsing, formatting. They import
// the very files the binary embeds (services/query/ui/). `node --test tests/ui/unit.test.mjs`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { criticalPath } from "../../services/query/ui/critical.js";
import { compareTraces } from "../../services/query/ui/compare.js";
import { layout } from "../../services/query/ui/deps.js";
import { formatDuration, parseDuration, serviceColor } from "../../services/query/ui/format.js";
import { buildTrace, isError, spanMatches, summarize } from "../../services/query/ui/model.js";
import { apiQuery, parseTags } from "../../services/query/ui/search.js";

const TRACE = "00000000000000000000000000000001";

/** A UI-JSON trace from `[id, parent, service, operation, start, duration, tags]` rows. */
function trace(rows) {
  const services = [...new Set(rows.map((row) => row[2]))];
  return {
    traceID: TRACE,
    processes: Object.fromEntries(services.map((name, i) => [`p${i + 1}`, { serviceName: name, tags: [] }])),
    spans: rows.map(([id, parent, service, operation, start, duration, tags = []]) => ({
      traceID: TRACE,
      spanID: id,
      operationName: operation,
      references: parent ? [{ refType: "CHILD_OF", traceID: TRACE, spanID: parent }] : [],
      startTime: start,
      duration,
      tags,
      logs: [],
      processID: `p${services.indexOf(service) + 1}`,
      warnings: null,
    })),
  };
}

const SAMPLE = trace([
  ["b", "a", "api", "call db", 110, 30],
  ["a", null, "web", "GET /", 100, 100, [{ key: "http.method", type: "string", value: "GET" }]],
  ["c", "a", "api", "call cache", 150, 40, [{ key: "error", type: "bool", value: true }]],
  ["d", "c", "cache", "get", 155, 20],
]);

test("the model orders spans as a tree with depths, self time and errors", () => {
  const model = buildTrace(SAMPLE);
  assert.deepEqual(model.spans.map((n) => n.id), ["a", "b", "c", "d"]);
  assert.deepEqual(model.spans.map((n) => n.depth), [0, 1, 1, 2]);
  assert.equal(model.root.id, "a");
  assert.equal(model.duration, 100);
  assert.equal(model.byId.get("a").selfTime, 30);
  assert.equal(model.byId.get("c").selfTime, 20);
  assert.equal(model.errorCount, 1);
  assert.equal(model.byId.get("a").descendants, 3);
  assert.equal(model.byId.get("a").descendantErrors, 1);
  assert.equal(model.byId.get("c").descendantErrors, 0);
  assert.deepEqual([...model.services.keys()].sort(), ["api", "cache", "web"]);
  const summary = summarize(model);
  assert.equal(summary.rootService, "web");
  assert.equal(summary.spanCount, 4);
  assert.equal(summary.errorCount, 1);
});

test("missing parents become roots and reference cycles are cut", () => {
  const model = buildTrace(trace([
    ["x", "missing", "s", "orphan", 10, 5],
    ["p", "q", "s", "p", 0, 5],
    ["q", "p", "s", "q", 1, 2],
  ]));
  assert.equal(model.spans.length, 3);
  assert.ok(model.roots.length >= 2);
  assert.equal(new Set(model.spans.map((n) => n.id)).size, 3);
});

test("errors are error=true or otel.status_code=ERROR", () => {
  assert.ok(isError([{ key: "error", value: true }]));
  assert.ok(isError([{ key: "error", value: "true" }]));
  assert.ok(isError([{ key: "otel.status_code", value: "ERROR" }]));
  assert.ok(!isError([{ key: "error", value: false }]));
  assert.ok(!isError([]));
});

test("the critical path follows the last-finishing child back in time", () => {
  const model = buildTrace(SAMPLE);
  const path = criticalPath(model);
  // a: 100-200; c (150-190) finishes last, then b (110-140).
  assert.deepEqual(path.get("a"), [[100, 110], [140, 150], [190, 200]]);
  assert.deepEqual(path.get("c"), [[150, 155], [175, 190]]);
  assert.deepEqual(path.get("d"), [[155, 175]]);
  assert.deepEqual(path.get("b"), [[110, 140]]);
  const total = [...path.values()].flat().reduce((sum, [from, to]) => sum + to - from, 0);
  assert.equal(total, model.duration, "the path covers the trace exactly once");
});

test("the critical path clips children that outlive their parent and survives deep chains", () => {
  const model = buildTrace(trace([["r", null, "s", "r", 0, 10], ["late", "r", "s", "late", 5, 20]]));
  const path = criticalPath(model);
  assert.deepEqual(path.get("r"), [[0, 5]]);
  assert.deepEqual(path.get("late"), [[5, 10]]);
  const chain = [["0", null, "s", "op", 0, 20000]];
  for (let i = 1; i < 10000; i++) chain.push([String(i), String(i - 1), "s", "op", i, 20000 - 2 * i]);
  const deep = buildTrace(trace(chain));
  assert.equal(deep.spans.at(-1).depth, 9999);
  assert.equal(criticalPath(deep).size, 10000);
});

test("compare groups spans by service and operation", () => {
  const a = buildTrace(SAMPLE);
  const b = buildTrace(trace([
    ["a", null, "web", "GET /", 100, 150],
    ["b", "a", "api", "call db", 110, 30],
    ["e", "a", "auth", "check", 145, 10],
  ]));
  const diff = compareTraces(a, b);
  assert.deepEqual(diff.onlyA.map((g) => `${g.service}:${g.operation}`).sort(), ["api:call cache", "cache:get"]);
  assert.deepEqual(diff.onlyB.map((g) => `${g.service}:${g.operation}`), ["auth:check"]);
  assert.equal(diff.operations[0].service, "web", "largest change first");
  assert.equal(diff.operations[0].b.total - diff.operations[0].a.total, 50);
});

test("the dependency layout puts callers left of callees and survives cycles", () => {
  const links = [
    { parent: "lb", child: "web", callCount: 3 },
    { parent: "web", child: "api", callCount: 3 },
    { parent: "api", child: "db", callCount: 2 },
    { parent: "db", child: "web", callCount: 1 },
    { parent: "api", child: "api", callCount: 1 },
  ];
  const { layer, back } = layout(links);
  assert.ok(layer.get("lb") < layer.get("web"));
  assert.ok(layer.get("web") < layer.get("api"));
  assert.ok(layer.get("api") < layer.get("db"));
  assert.equal(back.size, 1);
});

test("tags, durations and the API query are read like Jaeger's UI", () => {
  assert.deepEqual(parseTags('http.status_code=500 error=true msg="a b"'), {
    "http.status_code": "500", error: "true", msg: "a b",
  });
  assert.throws(() => parseTags("lonely"), /key=value/);
  assert.equal(parseDuration("1.5s"), 1_500_000);
  assert.equal(parseDuration("250ms"), 250_000);
  assert.equal(parseDuration("fast"), null);
  const state = { service: "web", operation: "", tags: "a=1", lookback: "1h", start: "", end: "", minDuration: "10ms", maxDuration: "", limit: "20" };
  const query = apiQuery(state, 1_000_000);
  assert.equal(query.tags, '{"a":"1"}');
  assert.equal(query.end, String(1_000_000_000));
  assert.equal(Number(query.end) - Number(query.start), 3600e6);
  assert.throws(() => apiQuery({ ...state, minDuration: "x" }), /minDuration/);
  assert.throws(() => apiQuery({ ...state, lookback: "custom" }), /custom/);
});

test("formatting and colours", () => {
  assert.equal(formatDuration(820), "820µs");
  assert.equal(formatDuration(1234), "1.23ms");
  assert.equal(formatDuration(62_000), "62ms");
  assert.equal(formatDuration(1_250_000), "1.25s");
  assert.equal(formatDuration(125_000_000), "2m 5s");
  assert.equal(serviceColor("web"), serviceColor("web"));
  assert.match(serviceColor("api"), /^#[0-9a-f]{6}$/);
});

test("find in trace matches operation, service, tags and id", () => {
  const model = buildTrace(SAMPLE);
  const a = model.byId.get("a");
  assert.ok(spanMatches(a, "GET /"));
  assert.ok(spanMatches(a, "http.method=GET"));
  assert.ok(spanMatches(a, "web"));
  assert.ok(spanMatches(a, "a"));
  assert.ok(!spanMatches(model.byId.get("d"), "http"));
});
