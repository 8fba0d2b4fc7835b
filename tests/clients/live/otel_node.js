'use strict';
// Send one known trace to a running collector with the Node OpenTelemetry SDK
// and its OTLP/HTTP exporter (@opentelemetry/exporter-trace-otlp-http: OTLP/JSON
// in the body of POST /v1/traces, port 4318). The trace is a root and two
// children, as in otel_python.py, except that the JS API has no binary
// attribute type.
//
// The exporter is wrapped only to see the result it reports, so a refused
// export fails this program. On success it prints to stdout one JSON document
// describing the spans as the SDK's own ReadableSpan objects report them (exact
// nanosecond times from HrTime, as JSON integers) and exits 0; otherwise it
// exits 1 with the reason on stderr. Comparing with what the collector stored
// is the Rust test's job (tests/tests/collector_clients.rs).
//
// Needs NODE_PATH=<cache>/fixtures-node/node_modules (tests/clients/live/install.sh).
// Usage: node otel_node.js --endpoint http://127.0.0.1:4318/v1/traces --service NAME

const api = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');

const SCOPE_NAME = 'spur.live.sender';
const SCOPE_VERSION = '1.0.0';
// Every wait is bounded; the Rust test also runs this program under a timeout.
const FLUSH_TIMEOUT_MS = 15000;

const KIND = {
  [api.SpanKind.INTERNAL]: 'internal',
  [api.SpanKind.SERVER]: 'server',
  [api.SpanKind.CLIENT]: 'client',
  [api.SpanKind.PRODUCER]: 'producer',
  [api.SpanKind.CONSUMER]: 'consumer',
};
const STATUS = {
  [api.SpanStatusCode.UNSET]: 'unset',
  [api.SpanStatusCode.OK]: 'ok',
  [api.SpanStatusCode.ERROR]: 'error',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const withTimeout = (promise, ms, what) => Promise.race([
  promise,
  sleep(ms).then(() => { throw new Error(`${what} did not finish within ${ms} ms`); }),
]);

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`missing ${name}; usage: node otel_node.js --endpoint URL --service NAME`);
  return process.argv[i + 1];
}

function pkgVersion(name) {
  return require(`${name}/package.json`).version;
}

// HrTime [seconds, nanos] -> exact BigInt nanoseconds.
const ns = (hr) => BigInt(Math.trunc(hr[0])) * 1000000000n + BigInt(Math.trunc(hr[1]));

// How the OTLP transformer types JS values: integral numbers -> intValue, other
// numbers -> doubleValue, arrays -> arrayValue.
function typed(v) {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int64', value: v } : { type: 'float64', value: v };
  if (Array.isArray(v)) return { type: 'array', value: v.map(typed) };
  throw new Error(`unsupported attribute value ${v}`);
}
const typedMap = (a) => Object.fromEntries(Object.entries(a || {}).map(([k, v]) => [k, typed(v)]));

async function main() {
  const endpoint = arg('--endpoint');
  const service = arg('--service');

  const exporter = new OTLPTraceExporter({ url: endpoint, compression: 'none', timeoutMillis: 10000 });
  const exported = [];
  const results = [];
  const recording = {
    export(spans, done) {
      exporter.export(spans, (result) => {
        exported.push(...spans);
        results.push({ spans: spans.length, code: result.code, error: result.error ? String(result.error) : null });
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test' }),
    ),
    spanProcessors: [new BatchSpanProcessor(recording, { scheduledDelayMillis: 60000, maxExportBatchSize: 512 })],
  });
  const tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);

  const root = tracer.startSpan('root-op', {
    kind: api.SpanKind.SERVER,
    attributes: {
      'str.tag': 'hello', 'bool.tag': true, 'int.tag': 42, 'float.tag': 3.5, 'array.tag': ['a', 'b'],
    },
  });
  const ctx = api.trace.setSpan(api.context.active(), root);
  const child = tracer.startSpan('child-op', { kind: api.SpanKind.CLIENT }, ctx);
  await sleep(2);
  child.addEvent('something happened', { 'event.count': 3 });
  child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'child failed on purpose' });
  await sleep(2);
  child.end();
  const second = tracer.startSpan('second-child-op', {
    kind: api.SpanKind.PRODUCER,
    attributes: { 'child.index': 2, 'messaging.destination': 'queue-a' },
    links: [{ context: child.spanContext(), attributes: { 'link.kind': 'sibling' } }],
  }, ctx);
  await sleep(1);
  second.setStatus({ code: api.SpanStatusCode.OK });
  second.end();
  await sleep(1);
  root.end();

  await withTimeout(provider.forceFlush(), FLUSH_TIMEOUT_MS, 'forceFlush');
  await withTimeout(provider.shutdown(), FLUSH_TIMEOUT_MS, 'shutdown');
  const failed = results.filter((r) => r.code !== 0);
  if (failed.length || exported.length !== 3) {
    throw new Error(`export did not succeed: results ${JSON.stringify(results)}, ${exported.length} of 3 spans exported`);
  }

  const spans = exported.map((s) => {
    const sc = s.spanContext();
    const parent = s.parentSpanContext;
    return {
      trace_id_hex: sc.traceId,
      span_id_hex: sc.spanId,
      parent_span_id_hex: parent ? parent.spanId : null,
      name: s.name,
      kind: KIND[s.kind],
      start_time_unix_nano: ns(s.startTime),
      end_time_unix_nano: ns(s.endTime),
      attributes: typedMap(s.attributes),
      events: s.events.map((e) => ({ name: e.name, time_unix_nano: ns(e.time), attributes: typedMap(e.attributes) })),
      links: s.links.map((l) => ({
        trace_id_hex: l.context.traceId, span_id_hex: l.context.spanId, attributes: typedMap(l.attributes),
      })),
      status: { code: STATUS[s.status.code], message: s.status.message || '' },
      trace_state: sc.traceState ? sc.traceState.serialize() : '',
      scope: { name: s.instrumentationScope.name, version: s.instrumentationScope.version || '' },
    };
  });
  const doc = {
    sender: 'otel-node-http-json',
    library: {
      name: '@opentelemetry/exporter-trace-otlp-http',
      version: pkgVersion('@opentelemetry/exporter-trace-otlp-http'),
      sdk_version: pkgVersion('@opentelemetry/sdk-trace-base'),
      node: process.version,
    },
    transport: { protocol: 'http/json', compression: 'none' },
    export_calls: results.length,
    service_name: service,
    resource: typedMap(exported[0].resource.attributes),
    spans,
  };
  // Nanosecond times exceed 2^53: write them as exact JSON integers.
  const text = JSON.stringify(doc, (k, v) => (typeof v === 'bigint' ? `__bigint__${v}` : v), 2)
    .replace(/"__bigint__(\d+)"/g, '$1');
  process.stdout.write(`${text}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
