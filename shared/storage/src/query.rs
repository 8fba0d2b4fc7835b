//! Query shapes of the read side, with Jaeger's semantics. Times are microseconds since the Unix
//! epoch and durations microseconds, as in every Jaeger storage layout.

use std::collections::BTreeMap;

use spur_model::TraceId;

/// Find traces: a trace matches when at least one of its spans satisfies every condition at once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TraceQuery {
    /// Required: the span's process service name, exactly.
    pub service_name: String,
    /// The span's operation name, exactly.
    pub operation_name: Option<String>,
    /// Every `key = value` must match, each against the span's tags, its process tags or any of
    /// its log fields. Values are compared in their string form (`true`, `42`, `3.5`, hex for
    /// binary), as Jaeger's UI sends them.
    pub tags: BTreeMap<String, String>,
    /// Span start time window, inclusive at both ends.
    pub start_time_min: i64,
    pub start_time_max: i64,
    /// Span duration bounds, inclusive.
    pub duration_min: Option<i64>,
    pub duration_max: Option<i64>,
    /// At most this many traces (Jaeger's default is 100 when zero is given).
    pub num_traces: usize,
}

/// Jaeger's default number of traces when a query leaves it at zero.
pub const DEFAULT_NUM_TRACES: usize = 100;

impl TraceQuery {
    /// Rejects queries no backend can answer meaningfully.
    pub fn validate(&self) -> Result<(), crate::StorageError> {
        let invalid = |message: &str| Err(crate::StorageError::InvalidArgument(message.into()));
        if self.service_name.is_empty() {
            return invalid("service name is required");
        }
        if self.start_time_min > self.start_time_max {
            return invalid("start time minimum is after maximum");
        }
        if let (Some(min), Some(max)) = (self.duration_min, self.duration_max)
            && min > max
        {
            return invalid("duration minimum is above maximum");
        }
        Ok(())
    }

    /// The limit to apply: `num_traces`, or Jaeger's default when zero.
    pub fn limit(&self) -> usize {
        if self.num_traces == 0 {
            DEFAULT_NUM_TRACES
        } else {
            self.num_traces
        }
    }
}

/// Get one trace. The optional window is a hint: a backend may use it to narrow its search and
/// must return at least every span of the trace that starts within it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GetTraceQuery {
    pub trace_id: TraceId,
    pub start_time_min: Option<i64>,
    pub start_time_max: Option<i64>,
}

impl GetTraceQuery {
    pub fn new(trace_id: TraceId) -> Self {
        GetTraceQuery {
            trace_id,
            start_time_min: None,
            start_time_max: None,
        }
    }
}

/// List the operations of a service, optionally only those seen with one span kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OperationQuery {
    pub service_name: String,
    /// `client`, `server`, `producer`, `consumer`, `internal`, or `""` for spans without a kind.
    /// `None` lists every kind.
    pub span_kind: Option<String>,
}

/// One operation of a service with the span kind it was seen with (`""` when none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Operation {
    pub name: String,
    pub span_kind: String,
}
