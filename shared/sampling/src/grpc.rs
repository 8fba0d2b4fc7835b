//! The gRPC `jaeger.api_v2.SamplingManager/GetSamplingStrategy` service (collector port
//! 14250), over any [`StrategyProvider`]: the service name in, the same strategy the HTTP
//! endpoints serve out. A provider error becomes status `UNKNOWN` with its message, which is
//! what grpc-go makes of the plain error Jaeger's handler returns.

use spur_model::api_v2::sampling_manager_server::{SamplingManager, SamplingManagerServer};
use spur_model::api_v2::{SamplingStrategyParameters, SamplingStrategyResponse};

use crate::provider::StrategyProvider;

/// The tonic service, ready for `Server::builder().add_service(..)`.
pub fn grpc_service<P: StrategyProvider>(provider: P) -> SamplingManagerServer<GrpcSampling<P>> {
    SamplingManagerServer::new(GrpcSampling { provider })
}

/// Implements the generated `SamplingManager` trait over a provider.
#[derive(Debug, Clone)]
pub struct GrpcSampling<P> {
    provider: P,
}

#[tonic::async_trait]
impl<P: StrategyProvider> SamplingManager for GrpcSampling<P> {
    async fn get_sampling_strategy(
        &self,
        request: tonic::Request<SamplingStrategyParameters>,
    ) -> Result<tonic::Response<SamplingStrategyResponse>, tonic::Status> {
        let service = request.into_inner().service_name;
        self.provider
            .sampling_strategy(&service)
            .await
            .map(tonic::Response::new)
            .map_err(|error| tonic::Status::unknown(error.to_string()))
    }
}
