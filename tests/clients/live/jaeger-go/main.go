// Command jaeger-go sends one known trace to a running collector with
// github.com/uber/jaeger-client-go and its HTTP sender
// (transport.NewHTTPTransport: a thrift BINARY jaeger.Batch in the body of
// POST /api/traces, port 14268).
//
// The trace is a root and two children (see main). The library's transport is
// wrapped only to see what its Append/Flush return, so a refused POST fails this
// program. On success it prints to stdout one JSON document describing the spans
// as the library itself converts them for sending (jaeger.BuildJaegerThrift and
// BuildJaegerProcessThrift on the finished span objects: ids, operation names,
// parents, µs start and duration, typed tags, logs, references, flags) and exits
// 0; otherwise it exits 1 with the reason on stderr.
//
// Comparing with what the collector stored is the Rust test's job
// (tests/tests/collector_clients.rs); tests/clients/live/install.sh builds this.
//
// Usage: jaeger-go -endpoint http://127.0.0.1:14268/api/traces -service NAME
package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	opentracing "github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	jaeger "github.com/uber/jaeger-client-go"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-client-go/transport"
)

// closeTimeout bounds the tracer's final flush; the Rust test also runs this
// program under a timeout.
const closeTimeout = 15 * time.Second

// recordingTransport delegates to the library's HTTP transport and keeps what
// its Append and Flush calls returned.
type recordingTransport struct {
	inner   jaeger.Transport
	mu      sync.Mutex
	flushed int
	errors  []string
}

func (t *recordingTransport) record(n int, err error) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushed += n
	if err != nil {
		t.errors = append(t.errors, err.Error())
	}
	return n, err
}

func (t *recordingTransport) Append(span *jaeger.Span) (int, error) {
	return t.record(t.inner.Append(span))
}

func (t *recordingTransport) Flush() (int, error) { return t.record(t.inner.Flush()) }

func (t *recordingTransport) Close() error { return t.inner.Close() }

type typedValue struct {
	Type  string      `json:"type"`
	Value interface{} `json:"value"`
}

type tagDoc struct {
	Key string `json:"key"`
	typedValue
}

func neutralTag(t *j.Tag) tagDoc {
	var v typedValue
	switch t.VType {
	case j.TagType_STRING:
		v = typedValue{"string", t.GetVStr()}
	case j.TagType_BOOL:
		v = typedValue{"bool", t.GetVBool()}
	case j.TagType_LONG:
		v = typedValue{"int64", t.GetVLong()}
	case j.TagType_DOUBLE:
		v = typedValue{"float64", t.GetVDouble()}
	case j.TagType_BINARY:
		v = typedValue{"binary", hex.EncodeToString(t.VBinary)}
	default:
		panic(fmt.Sprintf("unknown tag type %v", t.VType))
	}
	return tagDoc{t.Key, v}
}

// neutralTags keeps the library's order (a list: keys may repeat in Jaeger).
func neutralTags(tags []*j.Tag) []tagDoc {
	out := []tagDoc{}
	for _, t := range tags {
		out = append(out, neutralTag(t))
	}
	return out
}

func id16(v int64) string { return fmt.Sprintf("%016x", uint64(v)) }

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "unknown"
}

func describe(span opentracing.Span) map[string]interface{} {
	js := span.(*jaeger.Span)
	th := jaeger.BuildJaegerThrift(js)
	logs := []map[string]interface{}{}
	for _, l := range th.Logs {
		logs = append(logs, map[string]interface{}{"timestamp_us": l.Timestamp, "fields": neutralTags(l.Fields)})
	}
	refs := []map[string]interface{}{}
	for _, r := range th.References {
		kind := "child_of"
		if r.RefType == j.SpanRefType_FOLLOWS_FROM {
			kind = "follows_from"
		}
		refs = append(refs, map[string]interface{}{
			"type":         kind,
			"trace_id_hex": id16(r.TraceIdHigh) + id16(r.TraceIdLow),
			"span_id_hex":  id16(r.SpanId),
		})
	}
	var parent interface{}
	if th.ParentSpanId != 0 {
		parent = id16(th.ParentSpanId)
	}
	return map[string]interface{}{
		"trace_id_hex":       id16(th.TraceIdHigh) + id16(th.TraceIdLow),
		"span_id_hex":        id16(th.SpanId),
		"parent_span_id_hex": parent,
		"name":               th.OperationName,
		"start_time_us":      th.StartTime,
		"duration_us":        th.Duration,
		"flags":              th.Flags,
		"tags":               neutralTags(th.Tags),
		"logs":               logs,
		"references":         refs,
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	endpoint := flag.String("endpoint", "", "collector URL, http://127.0.0.1:14268/api/traces")
	service := flag.String("service", "", "service name")
	flag.Parse()
	if *endpoint == "" || *service == "" {
		fail("usage: jaeger-go -endpoint URL -service NAME")
	}

	sender := &recordingTransport{inner: transport.NewHTTPTransport(*endpoint,
		transport.HTTPBatchSize(100), transport.HTTPTimeout(10*time.Second))}
	reporter := jaeger.NewRemoteReporter(sender, jaeger.ReporterOptions.BufferFlushInterval(time.Minute))
	tracer, closer := jaeger.NewTracer(*service, jaeger.NewConstSampler(true), reporter,
		jaeger.TracerOptions.Gen128Bit(true))

	// root-op: server, one tag of each thrift type.
	root := tracer.StartSpan("root-op", ext.SpanKindRPCServer)
	root.SetTag("str.tag", "hello")
	root.SetTag("bool.tag", true)
	root.SetTag("int.tag", 42)
	root.SetTag("float.tag", 3.5)
	root.SetTag("binary.tag", []byte{0x01, 0x02, 0xfe, 0xff})

	// child-op: client, one log with two fields, the error tag.
	child := tracer.StartSpan("child-op", opentracing.ChildOf(root.Context()), ext.SpanKindRPCClient)
	time.Sleep(2 * time.Millisecond)
	child.LogFields(otlog.String("event", "something happened"), otlog.Int("event.count", 3))
	ext.Error.Set(child, true)
	time.Sleep(2 * time.Millisecond)
	child.Finish()

	// second-child-op: producer, one int tag.
	second := tracer.StartSpan("second-child-op", opentracing.ChildOf(root.Context()), ext.SpanKindProducer)
	second.SetTag("child.index", 2)
	time.Sleep(time.Millisecond)
	second.Finish()
	time.Sleep(time.Millisecond)
	root.Finish()

	closed := make(chan struct{})
	go func() { closer.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(closeTimeout):
		fail("tracer close did not finish within %s", closeTimeout)
	}
	sender.mu.Lock()
	flushed, errs := sender.flushed, sender.errors
	sender.mu.Unlock()
	if len(errs) > 0 || flushed != 3 {
		fail("sending failed: %d of 3 spans flushed, errors %v", flushed, errs)
	}

	process := jaeger.BuildJaegerProcessThrift(root.(*jaeger.Span))
	doc := map[string]interface{}{
		"sender": "jaeger-client-go-http",
		"library": map[string]interface{}{
			"name":    "github.com/uber/jaeger-client-go",
			"version": moduleVersion("github.com/uber/jaeger-client-go"),
		},
		"service_name": process.ServiceName,
		"process_tags": neutralTags(process.Tags),
		// the order the reporter sent them: as they finished
		"spans": []map[string]interface{}{describe(child), describe(second), describe(root)},
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		fail("writing the description: %v", err)
	}
}
