//! The admin API's OpenAPI 3.1 document (`/api/v1/openapi.json`): served
//! without credentials, a valid OpenAPI 3.1 document whose references all
//! resolve, and describing exactly the routes the server serves
//! (`idp_server::api::routes::ROUTES`).

use crate::support::*;
use idp_server::api::routes::ROUTES;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

type Outcome = Result<(), Box<dyn std::error::Error>>;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Fetches the document as an anonymous caller.
async fn fetch(server: &TestServer) -> Result<(Value, String), Box<dyn std::error::Error>> {
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/openapi.json", server.base_url))
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::OK);
    let media = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(media.starts_with("application/json"), "{media}");
    let text = res.text().await?;
    Ok((serde_json::from_str(&text)?, text))
}

/// Every operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                ops.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    ops
}

/// Every `$ref` in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// An example object has every required property of its schema and no
/// property the schema does not name.
fn example_fits(example: &Value, schema: &Value, what: &str) {
    let Some(example) = example.as_object() else {
        panic!("{what}: the example {example} is not an object");
    };
    let properties = schema["properties"].as_object();
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    for name in required.iter().filter_map(Value::as_str) {
        assert!(example.contains_key(name), "{what}: example lacks {name}");
    }
    for name in example.keys() {
        assert!(
            properties.is_some_and(|p| p.contains_key(name)),
            "{what}: example has {name}, which the schema does not name"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_public_openapi_3_1_on_base_url() -> Outcome {
    let server = TestServer::start().await;
    let (doc, text) = fetch(&server).await?;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "openapi is {version:?}");
    assert_eq!(doc["servers"][0]["url"], server.base_url.as_str());
    // A parser of OpenAPI 3.1 reads it, and finds every operation.
    let spec = oas3::from_json(&text)?;
    spec.validate_version()?;
    assert_eq!(spec.operations().count(), ROUTES.len());
    for (path, method, op) in spec.operations() {
        let declared = doc["paths"][&path][method.as_str().to_lowercase()]["responses"]
            .as_object()
            .map_or(0, |r| r.len());
        assert!(declared > 0, "{method} {path} has no responses");
        // oas3 drops a response whose reference does not resolve.
        assert_eq!(op.responses(&spec).len(), declared, "{method} {path}");
        op.parameters(&spec)?;
        op.request_body(&spec)?;
    }
    // Only the document itself is public; every other operation needs the key.
    let scheme = &doc["components"]["securitySchemes"]["apiKey"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    for (method, path, op) in operations(&doc) {
        let public = path == "/api/v1/openapi.json";
        assert_eq!(op.get("security").is_none(), public, "{method} {path}");
    }
    server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reference_and_path_parameter_is_declared() -> Outcome {
    let server = TestServer::start().await;
    let (doc, _) = fetch(&server).await?;
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "only {} references", all.len());
    for r in &all {
        let pointer = r.strip_prefix('#').unwrap_or("not local");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            ids.insert(id.to_owned()),
            "{method} {path}: id {id:?} repeats"
        );
        assert!(op["summary"].is_string(), "{method} {path} has no summary");
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let declared: BTreeSet<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .inspect(|p| assert_eq!(p["required"], true, "{method} {path}: {p}"))
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(templated, declared, "{method} {path}");
        let body = &op["requestBody"]["content"]["application/json"];
        if let Some(pointer) = body["schema"]["$ref"].as_str() {
            let schema = doc.pointer(pointer.trim_start_matches('#'));
            let schema = schema.unwrap_or(&Value::Null);
            example_fits(&body["example"], schema, &format!("{method} {path} body"));
        }
        // Every failure is a problem (RFC 9457) with an example.
        for (status, res) in op["responses"].as_object().into_iter().flatten() {
            let res = match res["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
                Some(pointer) => doc.pointer(pointer).unwrap_or(&Value::Null),
                None => res,
            };
            if status.starts_with('4') || status.starts_with('5') {
                let problem = &res["content"]["application/problem+json"];
                assert_eq!(problem["schema"]["$ref"], "#/components/schemas/Problem");
                assert_eq!(problem["example"]["status"].as_u64(), status.parse().ok());
            } else if status != "204" {
                // JSON, or an export's JSON Lines (which also offers CSV).
                let content = match res["content"].get("application/x-ndjson") {
                    Some(lines) => lines,
                    None => &res["content"]["application/json"],
                };
                assert!(content["schema"].is_object(), "{method} {path} {status}");
                if let Some(pointer) = content["schema"]["$ref"].as_str() {
                    let schema = doc.pointer(pointer.trim_start_matches('#'));
                    let schema = schema.unwrap_or(&Value::Null);
                    example_fits(&content["example"], schema, &format!("{method} {path}"));
                }
            }
        }
    }
    server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_describes_exactly_the_routes_served() -> Outcome {
    let server = TestServer::start().await;
    let (doc, _) = fetch(&server).await?;
    let described: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(described, served);
    // A create takes Idempotency-Key; a PATCH also reads merge patches.
    let create = &doc["paths"]["/api/v1/tenants"]["post"];
    let headers: Vec<&str> = create["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "header")
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(headers, ["Idempotency-Key"]);
    let patch = &doc["paths"]["/api/v1/tenants/{slug}"]["patch"]["requestBody"]["content"];
    assert!(patch["application/merge-patch+json"].is_object(), "{patch}");
    server.shutdown().await;
    Ok(())
}
