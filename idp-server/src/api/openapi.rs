//! PLACEHOLDER: the OpenAPI 3.1 document is generated here (being written).

use serde_json::{Value, json};

/// The document.
pub fn document(base_url: &str) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "idp admin API", "version": "1"}, "servers": [{"url": format!("{base_url}/api/v1")}], "paths": {}})
}
