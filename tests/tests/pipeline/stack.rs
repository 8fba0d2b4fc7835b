//! The distributed pipeline of one test run as separate processes on loopback: a private Kafka,
//! a TCP proxy in front of the shared store, two collectors writing to Kafka, an agent in front
//! of both, two ingesters in one consumer group, and the query service, each on free ports with
//! names unique to the run (topic, group, keyspace or index prefix).
//!
//! Owns starting, killing and restarting the processes and cleaning the store's data up;
//! what is sent and checked is the test's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use spur_e2e::kafka_server::PrivateKafka;
use spur_e2e::process::{Service, binaries, free_address, http_client};
use spur_e2e::proxy::Proxy;

/// Partitions of the run's topic: the two ingesters get two each.
pub const PARTITIONS: i32 = 4;
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// Each collector's queue of spans (from arrival to Kafka's acknowledgement) and its Kafka
/// producer's queue, small so that a burst during a Kafka outage fills them and the collectors
/// refuse (and count) spans.
pub const COLLECTOR_QUEUE_SPANS: u32 = 300;

/// The shared store the run writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Cassandra,
    Elasticsearch,
    Opensearch,
}

impl Store {
    fn server(self) -> spur_e2e::Server {
        match self {
            Store::Cassandra => spur_e2e::CASSANDRA,
            Store::Elasticsearch => spur_e2e::ELASTICSEARCH,
            Store::Opensearch => spur_e2e::OPENSEARCH,
        }
    }

    /// `host:port` of the shared server.
    fn socket_address(self) -> Result<SocketAddr, String> {
        let address = self.server().check()?;
        let authority = address
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        std::net::ToSocketAddrs::to_socket_addrs(&authority)
            .map_err(|e| format!("{authority}: {e}"))?
            .next()
            .ok_or_else(|| format!("{authority}: no address"))
    }

    /// The storage settings of every process that reads or writes it, through `proxy`.
    fn settings(self, proxy: SocketAddr, name: &str) -> Vec<(&'static str, String)> {
        match self {
            Store::Cassandra => vec![
                ("SPAN_STORAGE_TYPE", "cassandra".to_owned()),
                ("CASSANDRA_SERVERS", proxy.ip().to_string()),
                ("CASSANDRA_PORT", proxy.port().to_string()),
                ("CASSANDRA_KEYSPACE", name.to_owned()),
                ("CASSANDRA_CREATE_SCHEMA", "true".to_owned()),
                ("CASSANDRA_TIMEOUT", "5s".to_owned()),
                ("CASSANDRA_CONNECT_TIMEOUT", "5s".to_owned()),
            ],
            Store::Elasticsearch | Store::Opensearch => vec![
                (
                    "SPAN_STORAGE_TYPE",
                    if self == Store::Elasticsearch {
                        "elasticsearch"
                    } else {
                        "opensearch"
                    }
                    .to_owned(),
                ),
                ("ES_SERVER_URLS", format!("http://{proxy}")),
                ("ES_INDEX_PREFIX", name.replace('_', "-")),
                ("ES_NUM_SHARDS", "1".to_owned()),
                ("ES_NUM_REPLICAS", "0".to_owned()),
                ("ES_TIMEOUT", "5s".to_owned()),
            ],
        }
    }
}

/// Where the run's clients send.
pub struct Ports {
    pub collector_grpc: [SocketAddr; 2],
    pub collector_otlp_grpc: [SocketAddr; 2],
    pub collector_otlp_http: [SocketAddr; 2],
    pub collector_zipkin: [SocketAddr; 2],
    pub collector_http: [SocketAddr; 2],
    pub agent_compact: SocketAddr,
    pub query_http: SocketAddr,
    pub query_grpc: SocketAddr,
}

/// What every process of the run is started with.
pub struct Plan {
    pub store: Store,
    /// The run's unique name: keyspace, index prefix, topic and group derive from it.
    pub name: String,
    pub ports: Ports,
    pub logs: PathBuf,
    kafka: String,
    store_address: SocketAddr,
    bins: Vec<PathBuf>,
    topic: String,
    group: String,
}

pub struct Stack {
    pub plan: Plan,
    pub kafka: PrivateKafka,
    pub proxy: Proxy,
    pub collectors: [Service; 2],
    pub ingesters: [Service; 2],
    pub agent: Service,
    pub query: Service,
}

fn socket(address: &str) -> Result<SocketAddr, String> {
    address.parse().map_err(|e| format!("{address}: {e}"))
}

fn free_socket() -> Result<SocketAddr, String> {
    socket(&free_address()?)
}

fn free_pair() -> Result<[SocketAddr; 2], String> {
    Ok([free_socket()?, free_socket()?])
}

impl Stack {
    pub async fn start(store: Store) -> Result<Stack, String> {
        let bins = tokio::task::spawn_blocking(binaries)
            .await
            .map_err(|e| e.to_string())??;
        let target = store.socket_address()?;
        let name = spur_e2e::unique_name("e2e");
        let logs = std::env::temp_dir().join(format!("{name}-logs"));
        std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        eprintln!("{store:?}: logs in {}", logs.display());
        let kafka = tokio::task::spawn_blocking(|| PrivateKafka::start("spur-e2e-kafka"))
            .await
            .map_err(|e| e.to_string())??;
        let topic = format!("{name}_spans");
        kafka.create_topic(&topic, PARTITIONS).await?;
        let proxy = Proxy::start(target).await?;
        let ports = Ports {
            collector_grpc: free_pair()?,
            collector_otlp_grpc: free_pair()?,
            collector_otlp_http: free_pair()?,
            collector_zipkin: free_pair()?,
            collector_http: free_pair()?,
            agent_compact: free_socket()?,
            query_http: free_socket()?,
            query_grpc: free_socket()?,
        };
        let plan = Plan {
            store,
            group: format!("{name}_group"),
            name,
            ports,
            logs,
            kafka: kafka.bootstrap.clone(),
            store_address: proxy.address,
            bins,
            topic,
        };
        // The first ingester creates the keyspace (Cassandra) or the templates before the others
        // start, so that they do not race to create them.
        let first = plan.start_ingester(0).await?;
        let second = plan.start_ingester(1).await?;
        let query = plan.start_query().await?;
        let collectors = [
            plan.start_collector(0).await?,
            plan.start_collector(1).await?,
        ];
        let agent = plan.start_agent().await?;
        Ok(Stack {
            plan,
            kafka,
            proxy,
            collectors,
            ingesters: [first, second],
            agent,
            query,
        })
    }

    /// Stops every process (SIGTERM, bounded), then drops the run's keyspace or indices and its
    /// logs; the private Kafka stops when the stack drops. (A failed run leaves its keyspace or
    /// indices and its logs; its processes and Kafka are stopped when the stack drops.)
    pub async fn finish(mut self) {
        for service in [&mut self.agent]
            .into_iter()
            .chain(self.collectors.iter_mut())
            .chain(self.ingesters.iter_mut())
            .chain([&mut self.query])
        {
            if service.pid().is_some()
                && let Err(error) = service.terminate(Duration::from_secs(30))
            {
                eprintln!("{}: {error}", service.name);
            }
        }
        let name = &self.plan.name;
        let cleaned = match self.plan.store {
            Store::Cassandra => drop_keyspace(name).await,
            Store::Elasticsearch | Store::Opensearch => {
                delete_indices(self.plan.store, &name.replace('_', "-")).await
            }
        };
        if let Err(error) = cleaned {
            eprintln!("cleaning the store up: {error}");
        }
        // Kept when the run fails, for a look.
        let _ = std::fs::remove_dir_all(&self.plan.logs);
    }
}

impl Plan {
    fn bin(&self, name: &str) -> Result<PathBuf, String> {
        self.bins
            .iter()
            .find(|path| path.file_name().is_some_and(|file| file == name))
            .cloned()
            .ok_or_else(|| format!("{name} not built"))
    }

    async fn spawn(
        &self,
        name: &str,
        binary: &str,
        env: Vec<(&'static str, String)>,
    ) -> Result<Service, String> {
        let admin = free_address()?;
        let mut service = Service::spawn(name, &self.bin(binary)?, &admin, &env, &self.logs)?;
        service.wait_ready(READY_TIMEOUT).await?;
        Ok(service)
    }

    pub async fn start_collector(&self, index: usize) -> Result<Service, String> {
        let p = &self.ports;
        let env = vec![
            ("SPAN_STORAGE_TYPE", "kafka".to_owned()),
            ("KAFKA_PRODUCER_BROKERS", self.kafka.clone()),
            ("KAFKA_PRODUCER_TOPIC", self.topic.clone()),
            (
                "KAFKA_PRODUCER_QUEUE_MAX_MESSAGES",
                COLLECTOR_QUEUE_SPANS.to_string(),
            ),
            ("COLLECTOR_QUEUE_SIZE", COLLECTOR_QUEUE_SPANS.to_string()),
            (
                "COLLECTOR_GRPC_SERVER_HOST_PORT",
                p.collector_grpc[index].to_string(),
            ),
            (
                "COLLECTOR_OTLP_GRPC_HOST_PORT",
                p.collector_otlp_grpc[index].to_string(),
            ),
            (
                "COLLECTOR_OTLP_HTTP_HOST_PORT",
                p.collector_otlp_http[index].to_string(),
            ),
            (
                "COLLECTOR_ZIPKIN_HOST_PORT",
                p.collector_zipkin[index].to_string(),
            ),
            (
                "COLLECTOR_HTTP_SERVER_HOST_PORT",
                p.collector_http[index].to_string(),
            ),
        ];
        self.spawn(&format!("collector-{index}"), "spur-collector", env)
            .await
    }

    pub async fn start_ingester(&self, index: usize) -> Result<Service, String> {
        let mut env = self.store.settings(self.store_address, &self.name);
        env.extend([
            ("KAFKA_CONSUMER_BROKERS", self.kafka.clone()),
            ("KAFKA_CONSUMER_TOPIC", self.topic.clone()),
            ("KAFKA_CONSUMER_GROUP_ID", self.group.clone()),
            ("INGESTER_BATCH_LINGER", "50ms".to_owned()),
            ("DEPENDENCIES_FLUSH_INTERVAL", "1s".to_owned()),
        ]);
        self.spawn(&format!("ingester-{index}"), "spur-ingester", env)
            .await
    }

    pub async fn start_query(&self) -> Result<Service, String> {
        let mut env = self.store.settings(self.store_address, &self.name);
        env.extend([
            (
                "QUERY_HTTP_SERVER_HOST_PORT",
                self.ports.query_http.to_string(),
            ),
            (
                "QUERY_GRPC_SERVER_HOST_PORT",
                self.ports.query_grpc.to_string(),
            ),
        ]);
        self.spawn("query", "spur-query", env).await
    }

    pub async fn start_agent(&self) -> Result<Service, String> {
        let collectors = self
            .ports
            .collector_grpc
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let env = vec![
            ("REPORTER_GRPC_HOST_PORT", collectors),
            (
                "PROCESSOR_JAEGER_COMPACT_SERVER_HOST_PORT",
                self.ports.agent_compact.to_string(),
            ),
            ("PROCESSOR_JAEGER_BINARY_SERVER_HOST_PORT", String::new()),
            ("HTTP_SERVER_HOST_PORT", String::new()),
        ];
        self.spawn("agent", "spur-agent", env).await
    }
}

async fn drop_keyspace(keyspace: &str) -> Result<(), String> {
    let session = scylla::client::session_builder::SessionBuilder::new()
        .known_node(spur_e2e::CASSANDRA.address())
        .build()
        .await
        .map_err(|e| e.to_string())?;
    session
        .query_unpaged(format!("DROP KEYSPACE IF EXISTS {keyspace}"), ())
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn delete_indices(store: Store, prefix: &str) -> Result<(), String> {
    // Wildcard deletes are refused by default (`action.destructive_requires_name`): name them.
    let base = store.server().address();
    let client = http_client();
    let url = format!("{base}/_cat/indices/{prefix}-*?format=json&h=index&expand_wildcards=all");
    let listed: serde_json::Value = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let names: Vec<&str> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| row["index"].as_str())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let url = format!("{base}/{}", names.join(","));
    let response = client
        .delete(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("DELETE {url}: {}", response.status()))
    }
}
