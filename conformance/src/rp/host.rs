//! What the relying party publishes for the OP to fetch: its JWK Set (for
//! `jwks_uri` clients) and request objects (for `request_uri`). A tiny
//! HTTP server on an address of the tester's choosing; the OP must be able
//! to reach `public_url` (in `cargo test`, loopback).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running host.
pub struct Host {
    /// Base URL the OP reaches it at, without a trailing slash.
    pub public_url: String,
    documents: Arc<Mutex<HashMap<String, (String, String)>>>,
}

impl Host {
    /// Listens on `bind` (e.g. `127.0.0.1:0`); `public_url` defaults to
    /// `http://{bound address}`.
    pub async fn start(bind: &str, public_url: Option<String>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let documents: Arc<Mutex<HashMap<String, (String, String)>>> = Arc::default();
        let served = Arc::clone(&documents);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let served = Arc::clone(&served);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let path = path.split('?').next().unwrap_or("/").to_owned();
                    let doc = served.lock().ok().and_then(|m| m.get(&path).cloned());
                    let res = match doc {
                        Some((ct, body)) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                        None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                    };
                    let _ = stream.write_all(res.as_bytes()).await;
                });
            }
        });
        Ok(Self {
            public_url: public_url.unwrap_or_else(|| format!("http://{addr}")),
            documents,
        })
    }

    /// Publishes `body` at `path` (starting with `/`) and returns its URL.
    pub fn put(&self, path: &str, content_type: &str, body: String) -> String {
        if let Ok(mut m) = self.documents.lock() {
            m.insert(path.to_owned(), (content_type.to_owned(), body));
        }
        format!("{}{path}", self.public_url)
    }
}
