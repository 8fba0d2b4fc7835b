//! The agent's provider: strategies asked of a collector over gRPC
//! (`SamplingManager/GetSamplingStrategy` on 14250), as Jaeger's agent proxies them
//! (`cmd/agent/app/configmanager/grpc`). Baggage restrictions are "not implemented", as there.
//! Owns no connection management: give it a channel (tonic reconnects on its own).

use spur_model::api_v2::sampling_manager_client::SamplingManagerClient;
use spur_model::api_v2::{SamplingStrategyParameters, SamplingStrategyResponse};
use tonic::transport::Channel;

use crate::provider::{BaggageRestriction, ProviderError, StrategyProvider};

/// A [`StrategyProvider`] that forwards every request to a collector.
#[derive(Debug, Clone)]
pub struct GrpcProxy {
    client: SamplingManagerClient<Channel>,
}

impl GrpcProxy {
    pub fn new(channel: Channel) -> GrpcProxy {
        GrpcProxy {
            client: SamplingManagerClient::new(channel),
        }
    }
}

impl StrategyProvider for GrpcProxy {
    async fn sampling_strategy(
        &self,
        service: &str,
    ) -> Result<SamplingStrategyResponse, ProviderError> {
        let request = SamplingStrategyParameters {
            service_name: service.to_owned(),
        };
        self.client
            .clone()
            .get_sampling_strategy(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| {
                ProviderError::new(format!(
                    "failed to get sampling strategy: code = {:?} desc = {}",
                    status.code(),
                    status.message()
                ))
            })
    }

    async fn baggage_restrictions(
        &self,
        _service: &str,
    ) -> Result<Vec<BaggageRestriction>, ProviderError> {
        Err(ProviderError::new("baggage not implemented"))
    }
}
