//! HTTP to a node under test: one blocking client (ureq), a fresh connection per call, answers
//! with their status, headers and body read whole.

use std::sync::LazyLock;
use std::time::Duration;

use serde_json::Value;
use ureq::Agent;

/// No pooled connections (a node killed mid-test leaves none behind), no proxy, no
/// redirects, HTTP error statuses as answers, 30 s per call.
static AGENT: LazyLock<Agent> = LazyLock::new(|| {
    Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .max_idle_connections(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
});

/// A whole answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: ureq::http::HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {self}"))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first string field of this name anywhere in a JSON body.
    pub fn field(&self, name: &str) -> Option<String> {
        fn find(v: &Value, name: &str) -> Option<String> {
            match v {
                Value::Object(m) => m
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| m.values().find_map(|v| find(v, name))),
                Value::Array(a) => a.iter().find_map(|v| find(v, name)),
                _ => None,
            }
        }
        find(&serde_json::from_slice(&self.body).ok()?, name)
    }

    /// The envelope's `head.status`.
    pub fn status_code(&self) -> String {
        self.json()["head"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.text();
        let end = text.char_indices().nth(600).map_or(text.len(), |(i, _)| i);
        write!(f, "HTTP {} {}", self.status, &text[..end])
    }
}

/// One call, `Err` when no whole answer came back (refused, cut off, timed out).
pub fn send(
    method: &str,
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Reply, ureq::Error> {
    let uri = format!("http://{addr}{path}");
    let mut req = ureq::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(body.unwrap_or_default().to_vec())
        .map_err(ureq::Error::from)?;
    let mut res = AGENT.run(req)?;
    let body = res.body_mut().with_config().limit(64 << 20).read_to_vec()?;
    Ok(Reply {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body,
    })
}

/// One call that must be answered.
pub fn call(
    method: &str,
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Reply {
    send(method, addr, path, headers, body).unwrap_or_else(|e| panic!("{method} {addr}{path}: {e}"))
}

/// A GET.
pub fn get(addr: &str, path: &str) -> Reply {
    call("GET", addr, path, &[], None)
}

/// An authenticated GET; the JSON body.
pub fn get_json(addr: &str, path: &str, token: &str) -> Value {
    let bearer = format!("Bearer {token}");
    call("GET", addr, path, &[("Authorization", &bearer)], None).json()
}

/// The headers of a form, with a Bearer token when given.
fn form_headers(auth: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![(
        "Content-Type",
        "application/x-www-form-urlencoded".to_owned(),
    )];
    if let Some(t) = auth {
        h.push(("Authorization", format!("Bearer {t}")));
    }
    h
}

/// A form POST, with a Bearer token when given, and more headers.
pub fn try_post_form(
    addr: &str,
    path: &str,
    auth: Option<&str>,
    more: &[(&str, &str)],
    body: &str,
) -> Result<Reply, ureq::Error> {
    let owned = form_headers(auth);
    let mut headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    headers.extend_from_slice(more);
    send("POST", addr, path, &headers, Some(body.as_bytes()))
}

/// A form POST, with a Bearer token when given.
pub fn post_form(addr: &str, path: &str, auth: Option<&str>, body: &str) -> Reply {
    try_post_form(addr, path, auth, &[], body).unwrap_or_else(|e| panic!("POST {addr}{path}: {e}"))
}

/// A JSON POST with a Bearer token; the JSON body.
pub fn post_json(addr: &str, path: &str, token: &str, json: &str) -> Value {
    json_call("POST", addr, path, token, json)
}

/// A JSON PUT with a Bearer token; the JSON body.
pub fn put_json(addr: &str, path: &str, token: &str, json: &str) -> Value {
    json_call("PUT", addr, path, token, json)
}

fn json_call(method: &str, addr: &str, path: &str, token: &str, json: &str) -> Value {
    let bearer = format!("Bearer {token}");
    call(
        method,
        addr,
        path,
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        Some(json.as_bytes()),
    )
    .json()
}

/// Percent-encodes a form value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
