//! Test support: writes the api_v2 model as Jaeger Thrift (Jaeger's domain→thrift rules), in the
//! compact or binary protocol, bare or wrapped in an `emitBatch` message. Tests, property tests,
//! benchmarks and fuzz seeds use it to make payloads; it never ships in a service.

use crate::api_v2::{Batch, KeyValue, Process, Span, ValueType};
use crate::time::{micros_from_duration, micros_from_timestamp};
use crate::{SpanId, TraceId};

/// Which Thrift protocol to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThriftProtocol {
    Compact,
    Binary,
}

/// A `jaeger.Batch` struct, not wrapped in a message.
pub fn encode_batch(batch: &Batch, protocol: ThriftProtocol) -> Vec<u8> {
    let mut writer = Writer::new(protocol);
    writer.batch(batch);
    writer.out
}

/// An agent datagram: `Agent.emitBatch` oneway message carrying the batch.
pub fn encode_agent_message(batch: &Batch, protocol: ThriftProtocol) -> Vec<u8> {
    let mut writer = Writer::new(protocol);
    writer.message_begin(b"emitBatch", 4);
    writer.struct_begin();
    writer.field(STRUCT, 1);
    writer.batch(batch);
    writer.stop();
    writer.struct_end();
    writer.out
}

// Type ids in compact numbering; the binary writer translates them.
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const STRUCT: u8 = 12;

struct Writer {
    protocol: ThriftProtocol,
    out: Vec<u8>,
    last_ids: Vec<i16>,
    last_id: i16,
}

impl Writer {
    fn new(protocol: ThriftProtocol) -> Self {
        Writer {
            protocol,
            out: Vec::with_capacity(512),
            last_ids: Vec::new(),
            last_id: 0,
        }
    }

    fn binary_type(compact: u8) -> u8 {
        match compact {
            1 | 2 => 2,
            I32 => 8,
            I64 => 10,
            DOUBLE => 4,
            BINARY => 11,
            LIST => 15,
            _ => 12,
        }
    }

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.out.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.out.push(value as u8);
    }

    fn message_begin(&mut self, name: &[u8], message_type: u8) {
        match self.protocol {
            ThriftProtocol::Compact => {
                self.out.extend_from_slice(&[0x82, 1 | (message_type << 5)]);
                self.varint(0);
                self.bytes(name);
            }
            ThriftProtocol::Binary => {
                self.out
                    .extend_from_slice(&(0x8001_0000u32 | u32::from(message_type)).to_be_bytes());
                self.bytes(name);
                self.out.extend_from_slice(&0i32.to_be_bytes());
            }
        }
    }

    fn struct_begin(&mut self) {
        self.last_ids.push(self.last_id);
        self.last_id = 0;
    }

    fn struct_end(&mut self) {
        self.last_id = self.last_ids.pop().unwrap_or(0);
    }

    fn field(&mut self, compact_type: u8, id: i16) {
        match self.protocol {
            ThriftProtocol::Compact => {
                let delta = id - self.last_id;
                if (1..=15).contains(&delta) {
                    self.out.push(((delta as u8) << 4) | compact_type);
                } else {
                    self.out.push(compact_type);
                    self.varint(zigzag(i64::from(id)));
                }
                self.last_id = id;
            }
            ThriftProtocol::Binary => {
                self.out.push(Self::binary_type(compact_type));
                self.out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }

    fn stop(&mut self) {
        self.out.push(0);
    }

    fn i32_field(&mut self, id: i16, value: i32) {
        self.field(I32, id);
        match self.protocol {
            ThriftProtocol::Compact => self.varint(zigzag(i64::from(value))),
            ThriftProtocol::Binary => self.out.extend_from_slice(&value.to_be_bytes()),
        }
    }

    fn i64_field(&mut self, id: i16, value: i64) {
        self.field(I64, id);
        match self.protocol {
            ThriftProtocol::Compact => self.varint(zigzag(value)),
            ThriftProtocol::Binary => self.out.extend_from_slice(&value.to_be_bytes()),
        }
    }

    fn double_field(&mut self, id: i16, value: f64) {
        self.field(DOUBLE, id);
        match self.protocol {
            ThriftProtocol::Compact => self.out.extend_from_slice(&value.to_le_bytes()),
            ThriftProtocol::Binary => self.out.extend_from_slice(&value.to_be_bytes()),
        }
    }

    fn bool_field(&mut self, id: i16, value: bool) {
        match self.protocol {
            ThriftProtocol::Compact => self.field(if value { 1 } else { 2 }, id),
            ThriftProtocol::Binary => {
                self.field(1, id);
                self.out.push(u8::from(value));
            }
        }
    }

    fn bytes(&mut self, value: &[u8]) {
        match self.protocol {
            ThriftProtocol::Compact => self.varint(value.len() as u64),
            ThriftProtocol::Binary => self
                .out
                .extend_from_slice(&(value.len() as i32).to_be_bytes()),
        }
        self.out.extend_from_slice(value);
    }

    fn bytes_field(&mut self, id: i16, value: &[u8]) {
        self.field(BINARY, id);
        self.bytes(value);
    }

    fn list_of_structs(&mut self, id: i16, count: usize) {
        self.field(LIST, id);
        match self.protocol {
            ThriftProtocol::Compact if count < 15 => self.out.push(((count as u8) << 4) | STRUCT),
            ThriftProtocol::Compact => {
                self.out.push(0xf0 | STRUCT);
                self.varint(count as u64);
            }
            ThriftProtocol::Binary => {
                self.out.push(12);
                self.out.extend_from_slice(&(count as i32).to_be_bytes());
            }
        }
    }

    fn batch(&mut self, batch: &Batch) {
        self.struct_begin();
        self.field(STRUCT, 1);
        let fallback = Process::default();
        self.process(batch.process.as_ref().unwrap_or(&fallback));
        self.list_of_structs(2, batch.spans.len());
        for span in &batch.spans {
            self.span(span);
        }
        self.stop();
        self.struct_end();
    }

    fn process(&mut self, process: &Process) {
        self.struct_begin();
        self.bytes_field(1, process.service_name.as_bytes());
        self.tags(2, &process.tags);
        self.stop();
        self.struct_end();
    }

    fn span(&mut self, span: &Span) {
        let trace_id = span.trace_id().unwrap_or_default();
        self.struct_begin();
        self.i64_field(1, trace_id.low as i64);
        self.i64_field(2, trace_id.high as i64);
        self.i64_field(3, span.span_id().unwrap_or_default().0 as i64);
        self.i64_field(4, span.parent_span_id().unwrap_or_default().0 as i64);
        self.bytes_field(5, span.operation_name.as_bytes());
        self.list_of_structs(6, span.references.len());
        for reference in &span.references {
            let ref_trace = TraceId::from_bytes(&reference.trace_id).unwrap_or_default();
            self.struct_begin();
            self.i32_field(1, reference.ref_type);
            self.i64_field(2, ref_trace.low as i64);
            self.i64_field(3, ref_trace.high as i64);
            self.i64_field(
                4,
                SpanId::from_bytes(&reference.span_id).unwrap_or_default().0 as i64,
            );
            self.stop();
            self.struct_end();
        }
        self.i32_field(7, span.flags as i32);
        self.i64_field(
            8,
            span.start_time
                .as_ref()
                .map(micros_from_timestamp)
                .unwrap_or(0),
        );
        self.i64_field(
            9,
            span.duration
                .as_ref()
                .map(micros_from_duration)
                .unwrap_or(0),
        );
        self.tags(10, &span.tags);
        self.list_of_structs(11, span.logs.len());
        for log in &span.logs {
            self.struct_begin();
            self.i64_field(
                1,
                log.timestamp
                    .as_ref()
                    .map(micros_from_timestamp)
                    .unwrap_or(0),
            );
            self.tags(2, &log.fields);
            self.stop();
            self.struct_end();
        }
        self.stop();
        self.struct_end();
    }

    fn tags(&mut self, id: i16, tags: &[KeyValue]) {
        self.list_of_structs(id, tags.len());
        for tag in tags {
            self.struct_begin();
            self.bytes_field(1, tag.key.as_bytes());
            match ValueType::try_from(tag.v_type).unwrap_or(ValueType::String) {
                ValueType::String => {
                    self.i32_field(2, 0);
                    self.bytes_field(3, tag.v_str.as_bytes());
                }
                ValueType::Float64 => {
                    self.i32_field(2, 1);
                    self.double_field(4, tag.v_float64);
                }
                ValueType::Bool => {
                    self.i32_field(2, 2);
                    self.bool_field(5, tag.v_bool);
                }
                ValueType::Int64 => {
                    self.i32_field(2, 3);
                    self.i64_field(6, tag.v_int64);
                }
                ValueType::Binary => {
                    self.i32_field(2, 4);
                    self.bytes_field(7, &tag.v_binary);
                }
            }
            self.stop();
            self.struct_end();
        }
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}
