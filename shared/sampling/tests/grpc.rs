//! The tonic `SamplingManager` service with a real client, and the agent's path: HTTP on the
//! agent, proxied over gRPC to the collector's store ([`spur_sampling::GrpcProxy`]).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use spur_model::api_v2::SamplingStrategyParameters;
use spur_model::api_v2::sampling_manager_client::SamplingManagerClient;
use spur_sampling::{GrpcProxy, HttpOptions, StoreOptions, StrategyStore, strategy_json};
use tonic::transport::Channel;

async fn store(file: &str) -> StrategyStore {
    StrategyStore::open(StoreOptions {
        strategies_file: Some(common::strategies_path(file).display().to_string()),
        reload_interval: Duration::ZERO,
        include_default_operation_strategies: false,
    })
    .await
    .unwrap()
}

fn parameters(service: &str) -> SamplingStrategyParameters {
    SamplingStrategyParameters {
        service_name: service.to_owned(),
    }
}

#[tokio::test]
async fn grpc_answers_the_same_strategies_as_the_store() {
    let store = store("operations.json").await;
    let address = common::serve_grpc(store.clone()).await;
    let mut client = SamplingManagerClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    for service in [
        "web", "db", "cache", "plain", "limited", "mystery", "nobody", "",
    ] {
        let response = client
            .get_sampling_strategy(parameters(service))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response, store.strategy(service), "{service:?}");
    }
}

#[tokio::test]
async fn the_agent_proxies_to_the_collector() {
    let store = store("services.json").await;
    let collector = common::serve_grpc(store.clone()).await;
    let channel = Channel::from_shared(format!("http://{collector}"))
        .unwrap()
        .connect_lazy();
    let agent = common::serve_http(spur_sampling::router(
        GrpcProxy::new(channel),
        &HttpOptions::agent(),
    ))
    .await;
    let get = |path: &str| {
        let url = format!("http://{agent}{path}");
        async move {
            let response = reqwest::get(url).await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(
        get("/sampling?service=checkout").await,
        (200, strategy_json(&store.strategy("checkout")))
    );
    assert_eq!(
        get("/?service=payments").await,
        (
            200,
            r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":7}}"#.to_owned()
        )
    );
    // Jaeger's agent: baggage over the gRPC proxy is not implemented.
    assert_eq!(
        get("/baggageRestrictions?service=checkout").await,
        (500, "collector error: baggage not implemented\n".to_owned())
    );
}

#[tokio::test]
async fn an_unreachable_collector_is_a_500_and_counted() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let channel = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(1))
        .connect_lazy();
    let options = HttpOptions {
        metrics_namespace: "spur_test_proxy".to_owned(),
        ..HttpOptions::agent()
    };
    let errors = "spur_test_proxy_http_server_errors_total";
    let labels = [("source", "collector-proxy"), ("status", "5xx")];
    assert_eq!(common::counter(errors, &labels), 0);
    let agent = common::serve_http(spur_sampling::router(GrpcProxy::new(channel), &options)).await;

    let response = reqwest::get(format!("http://{agent}/sampling?service=x"))
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with("collector error: failed to get sampling strategy: code = Unavailable"),
        "{body}"
    );
    assert_eq!(common::counter(errors, &labels), 1);
}
