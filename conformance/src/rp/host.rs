//! What the relying party publishes for the OP to fetch: its JWK Set (for
//! `jwks_uri` clients) and request objects (for `request_uri`). A tiny
//! HTTP server on an address of the tester's choosing; the OP must be able
//! to reach `public_url` (in `cargo test`, loopback).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request the host received: method, path with query, body.
#[derive(Clone, Debug)]
pub struct Received {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub target: String,
    /// `Content-Type`, lowercase.
    pub content_type: String,
    /// Body text.
    pub body: String,
}

/// A running host.
pub struct Host {
    /// Base URL the OP reaches it at, without a trailing slash.
    pub public_url: String,
    documents: Arc<Mutex<HashMap<String, (String, String)>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Host {
    /// Listens on `bind` (e.g. `127.0.0.1:0`); `public_url` defaults to
    /// `http://{bound address}`.
    pub async fn start(bind: &str, public_url: Option<String>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let documents: Arc<Mutex<HashMap<String, (String, String)>>> = Arc::default();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let served = Arc::clone(&documents);
        let log = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let served = Arc::clone(&served);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16384];
                    let mut n = 0;
                    // Read the head, then as much body as Content-Length says.
                    while let Ok(m) = stream.read(&mut buf[n..]).await {
                        if m == 0 {
                            break;
                        }
                        n += m;
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let length = text[..end]
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            if n >= end + 4 + length || n == buf.len() {
                                break;
                            }
                        }
                    }
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                    let mut first = head.lines().next().unwrap_or("").split_whitespace();
                    let method = first.next().unwrap_or("").to_owned();
                    let target = first.next().unwrap_or("/").to_owned();
                    let content_type = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-type")
                                .then(|| v.trim().to_ascii_lowercase())
                        })
                        .unwrap_or_default();
                    if let Ok(mut l) = log.lock() {
                        l.push(Received {
                            method,
                            target: target.clone(),
                            content_type,
                            body: body.to_owned(),
                        });
                    }
                    let path = target.split('?').next().unwrap_or("/").to_owned();
                    let doc = served.lock().ok().and_then(|m| m.get(&path).cloned());
                    let res = match doc {
                        Some((ct, body)) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                        None => "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_owned(),
                    };
                    let _ = stream.write_all(res.as_bytes()).await;
                });
            }
        });
        Ok(Self {
            public_url: public_url.unwrap_or_else(|| format!("http://{addr}")),
            documents,
            received,
        })
    }

    /// The requests received so far whose path starts with `prefix`.
    pub fn received(&self, prefix: &str) -> Vec<Received> {
        self.received
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|r| r.target.starts_with(prefix))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Publishes `body` at `path` (starting with `/`) and returns its URL.
    pub fn put(&self, path: &str, content_type: &str, body: String) -> String {
        if let Ok(mut m) = self.documents.lock() {
            m.insert(path.to_owned(), (content_type.to_owned(), body));
        }
        format!("{}{path}", self.public_url)
    }
}
