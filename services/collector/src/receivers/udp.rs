//! The agent's UDP ports (6831 compact, 6832 binary) as the all-in-one serves them: the shared
//! receivers of `spur-agent-udp`, handing each decoded batch straight to the pipeline (counted
//! there as format `jaeger`, transport `udp`). A refusal (pipeline full) is counted by the
//! pipeline; UDP has no way to answer the client.

use spur_agent_udp::{BatchSink, Protocol};
use spur_model::thrift::ThriftBatch;

use crate::pipeline::Pipeline;
use crate::sanitize::{Format, Transport};

/// The pipeline as the UDP receivers' sink.
#[derive(Clone)]
pub struct PipelineSink(pub Pipeline);

impl BatchSink for PipelineSink {
    async fn accept(&self, batch: ThriftBatch, _protocol: Protocol) {
        let _ = self
            .0
            .submit(vec![batch.batch], Format::Jaeger, Transport::Udp)
            .await;
    }
}
