//! Smoke test against real Elasticsearch (`SPUR_TEST_ES`, default http://127.0.0.1:9200) and
//! OpenSearch (`SPUR_TEST_OPENSEARCH`, default http://127.0.0.1:9201), both through the
//! `elasticsearch` crate: composable index template, bulk indexing, a terms aggregation and a
//! nested query. The same client serves both servers (it neither checks the product nor sends
//! compatibility headers); each test first proves which product answered.

use elasticsearch::http::transport::Transport;
use elasticsearch::http::{Method, StatusCode, headers::HeaderMap};
use elasticsearch::indices::{
    IndicesDeleteIndexTemplateParts, IndicesDeleteParts, IndicesGetMappingParts,
    IndicesPutIndexTemplateParts,
};
use elasticsearch::params::Refresh;
use elasticsearch::{BulkParts, Elasticsearch, SearchParts};
use serde_json::{Value, json};
use spur_e2e::{ELASTICSEARCH, OPENSEARCH, Server, unique_name};

/// (id, service, operation, duration µs, tags) of the indexed spans.
type SpanSpec = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static [(&'static str, &'static str)],
);

const SPANS: &[SpanSpec] = &[
    (
        "s01",
        "frontend",
        "GET /",
        120,
        &[("http.status_code", "200")],
    ),
    (
        "s02",
        "frontend",
        "GET /",
        150,
        &[("http.status_code", "500"), ("error", "true")],
    ),
    (
        "s03",
        "frontend",
        "GET /cart",
        90,
        &[("http.status_code", "200")],
    ),
    // status 200 and another tag whose value is 500: must NOT match the nested query, which
    // needs key and value in the same tag object (an object mapping would wrongly match).
    (
        "s04",
        "frontend",
        "GET /cart",
        95,
        &[("http.status_code", "200"), ("retry.after", "500")],
    ),
    (
        "s05",
        "frontend",
        "POST /checkout",
        300,
        &[("http.status_code", "500")],
    ),
    ("s06", "backend", "query", 40, &[("db.system", "cassandra")]),
    (
        "s07",
        "backend",
        "query",
        45,
        &[("http.status_code", "500")],
    ),
    ("s08", "backend", "write", 70, &[]),
    (
        "s09",
        "backend",
        "write",
        75,
        &[("http.status_code", "201")],
    ),
    ("s10", "db", "SELECT", 5, &[("db.rows", "1")]),
    ("s11", "db", "SELECT", 6, &[("db.rows", "500")]),
    ("s12", "db", "INSERT", 9, &[]),
];

fn client(url: &str) -> Elasticsearch {
    Elasticsearch::new(Transport::single_node(url).expect("valid URL"))
}

async fn ok_json(what: &str, response: elasticsearch::http::response::Response) -> Value {
    let status = response.status_code();
    let body = response.text().await.expect("response body");
    assert!(status.is_success(), "{what}: HTTP {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"))
}

/// Proves that `server` is the product the test expects; returns the version number.
async fn identify(server: Server, url: &str, es: &Elasticsearch) -> String {
    if server == ELASTICSEARCH {
        // Elasticsearch marks every response; the integ-test-zip has no `GET /` (405), so the
        // version comes from the local node's info.
        let response = es
            .send(
                Method::Get,
                "/_nodes/_local",
                HeaderMap::new(),
                Option::<&()>::None,
                Option::<&str>::None,
                None,
            )
            .await
            .expect("GET /_nodes/_local");
        let product = response
            .headers()
            .get("x-elastic-product")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            product.as_deref(),
            Some("Elasticsearch"),
            "{url} ({}) answers as Elasticsearch",
            server.var
        );
        let nodes = ok_json("GET /_nodes/_local", response).await;
        let version = nodes["nodes"]
            .as_object()
            .and_then(|n| n.values().next())
            .and_then(|n| n["version"].as_str())
            .expect("node version")
            .to_owned();
        assert!(
            version.starts_with("8."),
            "Elasticsearch 8.x expected, got {version}"
        );
        version
    } else {
        let response = es
            .send(
                Method::Get,
                "/",
                HeaderMap::new(),
                Option::<&()>::None,
                Option::<&str>::None,
                None,
            )
            .await
            .expect("GET /");
        assert!(
            response.headers().get("x-elastic-product").is_none(),
            "{url} ({}) must not be Elasticsearch",
            server.var
        );
        let root = ok_json("GET /", response).await;
        assert_eq!(
            root["version"]["distribution"], "opensearch",
            "{url} ({}) answers as OpenSearch: {root}",
            server.var
        );
        let version = root["version"]["number"]
            .as_str()
            .expect("version")
            .to_owned();
        assert!(
            version.starts_with("2."),
            "OpenSearch 2.x expected, got {version}"
        );
        version
    }
}

async fn template_bulk_aggregation_nested_query(server: Server) {
    let url = server.require();
    let es = client(&url);
    let version = identify(server, &url, &es).await;
    eprintln!("{} {version} at {url}", server.what);

    let prefix = unique_name("spur_smoke");
    let template = format!("{prefix}-template");
    let index = format!("{prefix}-span-2026-01-01");

    // Composable index template: every index named <prefix>-span-* gets this mapping.
    let response = es
        .indices()
        .put_index_template(IndicesPutIndexTemplateParts::Name(&template))
        .body(json!({
            "index_patterns": [format!("{prefix}-span-*")],
            "priority": 100,
            "template": {
                "settings": { "number_of_shards": 1, "number_of_replicas": 0 },
                "mappings": {
                    "dynamic_templates": [{
                        "strings_as_keywords": {
                            "match_mapping_type": "string",
                            "mapping": { "type": "keyword", "ignore_above": 256 }
                        }
                    }],
                    "properties": {
                        "spanID": { "type": "keyword" },
                        "serviceName": { "type": "keyword" },
                        "operationName": { "type": "keyword" },
                        "duration": { "type": "long" },
                        "startTimeMillis": { "type": "date", "format": "epoch_millis" },
                        "tags": {
                            "type": "nested",
                            "dynamic": false,
                            "properties": {
                                "key": { "type": "keyword" },
                                "value": { "type": "keyword" }
                            }
                        }
                    }
                }
            }
        }))
        .send()
        .await
        .expect("put index template");
    let body = ok_json("put index template", response).await;
    assert_eq!(body["acknowledged"], true);

    // Bulk: an action line and a document per span, visible to search when the call returns.
    let mut lines: Vec<elasticsearch::BulkOperation<Value>> = Vec::new();
    for (n, (id, service, operation, duration, tags)) in SPANS.iter().enumerate() {
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect();
        let doc = json!({
            "spanID": id,
            "serviceName": service,
            "operationName": operation,
            "duration": duration,
            "startTimeMillis": 1_767_225_600_000_i64 + n as i64,
            "tags": tags,
        });
        lines.push(elasticsearch::BulkOperation::index(doc).id(*id).into());
    }
    let response = es
        .bulk(BulkParts::Index(&index))
        .body(lines)
        .refresh(Refresh::True)
        .send()
        .await
        .expect("bulk");
    let body = ok_json("bulk", response).await;
    assert_eq!(body["errors"], false, "bulk errors: {body}");
    let items = body["items"].as_array().expect("bulk items");
    assert_eq!(items.len(), SPANS.len());
    assert!(
        items.iter().all(|i| i["index"]["result"] == "created"),
        "every document created: {body}"
    );

    // The template was applied: `tags` is nested, and a dynamic string became a keyword.
    let response = es
        .indices()
        .get_mapping(IndicesGetMappingParts::Index(&[&index]))
        .send()
        .await
        .expect("get mapping");
    let mapping = ok_json("get mapping", response).await;
    let properties = &mapping[&index]["mappings"]["properties"];
    assert_eq!(properties["tags"]["type"], "nested", "mapping: {mapping}");
    assert_eq!(properties["startTimeMillis"]["type"], "date");

    // Terms aggregation over all spans.
    let response = es
        .search(SearchParts::Index(&[&index]))
        .body(json!({
            "size": 0,
            "track_total_hits": true,
            "aggs": { "services": { "terms": { "field": "serviceName", "size": 10 } } }
        }))
        .send()
        .await
        .expect("aggregation search");
    let body = ok_json("aggregation search", response).await;
    assert_eq!(body["hits"]["total"]["value"], SPANS.len());
    let buckets: Vec<(String, u64)> = body["aggregations"]["services"]["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            (
                b["key"].as_str().expect("bucket key").to_owned(),
                b["doc_count"].as_u64().expect("doc_count"),
            )
        })
        .collect();
    assert_eq!(
        buckets,
        vec![
            ("frontend".to_owned(), 5),
            ("backend".to_owned(), 4),
            ("db".to_owned(), 3)
        ]
    );

    // Nested query: frontend spans with a tag http.status_code=500 (key and value in one tag).
    let response = es
        .search(SearchParts::Index(&[&index]))
        .body(json!({
            "size": 100,
            "sort": [{ "spanID": "asc" }],
            "query": { "bool": { "must": [
                { "term": { "serviceName": "frontend" } },
                { "nested": {
                    "path": "tags",
                    "query": { "bool": { "must": [
                        { "term": { "tags.key": "http.status_code" } },
                        { "term": { "tags.value": "500" } }
                    ] } }
                } }
            ] } }
        }))
        .send()
        .await
        .expect("nested search");
    let body = ok_json("nested search", response).await;
    let ids: Vec<&str> = body["hits"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["_id"].as_str().expect("_id"))
        .collect();
    assert_eq!(ids, ["s02", "s05"], "nested query result: {body}");

    let response = es
        .indices()
        .delete(IndicesDeleteParts::Index(&[&index]))
        .send()
        .await
        .expect("delete index");
    ok_json("delete index", response).await;
    let response = es
        .indices()
        .delete_index_template(IndicesDeleteIndexTemplateParts::Name(&template))
        .send()
        .await
        .expect("delete template");
    assert_eq!(response.status_code(), StatusCode::OK);
}

#[tokio::test]
async fn elasticsearch_template_bulk_aggregation_nested_query() {
    template_bulk_aggregation_nested_query(ELASTICSEARCH).await;
}

#[tokio::test]
async fn opensearch_template_bulk_aggregation_nested_query() {
    template_bulk_aggregation_nested_query(OPENSEARCH).await;
}
