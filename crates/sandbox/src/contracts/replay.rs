//! The replay server of CT-02: an HTTP server that knows nothing but contract cases. A test
//! sets the scene (the cases of one exchange) and points the real adapter at it; a request
//! that matches a case of the scene gets that case's recorded answer, any other request gets
//! `501` and is recorded with the nearest case of the partner and what differs, so the test
//! fails naming it. No simulator logic is involved.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::case::{Body, LoadedCase};
use super::matcher::{Incoming, differences};
use super::mutate::Answer;

/// One request the replay server received.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request.
    pub request: Incoming,
    /// The case whose answer was sent; `None` when nothing matched.
    pub served: Option<String>,
    /// For an unmatched request: the nearest case and the differences.
    pub nearest: Option<(String, Vec<String>)>,
}

struct Entry {
    case: LoadedCase,
    answer: Answer,
    repeat: bool,
    served: usize,
}

#[derive(Default)]
struct Inner {
    known: Vec<LoadedCase>,
    scene: Vec<Entry>,
    log: Vec<Exchange>,
}

/// A running replay server. Dropping it stops it.
pub struct Replay {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    token: CancellationToken,
}

impl Replay {
    /// Starts on a free port of 127.0.0.1; `known` (usually every case of the partner) is
    /// what "nearest case" is chosen from.
    pub async fn start(known: Vec<LoadedCase>) -> std::io::Result<Replay> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner { known, ..Inner::default() }));
        let token = CancellationToken::new();
        let router = Router::new().fallback(handle).with_state(inner.clone());
        let stop = token.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned()).await;
        });
        Ok(Replay { addr, inner, token })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves `case` once with its own answer, together with the cases it names in `prelude`
    /// (any number of times). Forgets the previous scene and log.
    pub fn play(&self, case: &LoadedCase) -> Result<(), String> {
        let answer = Answer::of(case)?;
        self.play_answer(case, answer)
    }

    /// Like [`Replay::play`] with another answer (CT-05's mutations).
    pub fn play_answer(&self, case: &LoadedCase, answer: Answer) -> Result<(), String> {
        let mut g = self.lock();
        let mut scene = Vec::new();
        for p in &case.case.prelude {
            let with = g
                .known
                .iter()
                .find(|k| k.partner == case.partner && k.local_id() == *p)
                .cloned()
                .ok_or_else(|| format!("{}: prelude {p} unknown", case.id()))?;
            let a = Answer::of(&with)?;
            scene.push(Entry { case: with, answer: a, repeat: true, served: 0 });
        }
        scene.push(Entry { case: case.clone(), answer, repeat: false, served: 0 });
        g.scene = scene;
        g.log.clear();
        Ok(())
    }

    /// Every request received since the scene was set.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().log.clone()
    }

    /// Unmatched requests, each as "METHOD path: nearest <case>: differences".
    pub fn unmatched(&self) -> Vec<String> {
        self.lock()
            .log
            .iter()
            .filter(|e| e.served.is_none())
            .map(|e| match &e.nearest {
                Some((id, d)) => {
                    format!("{} {}: no case matches; nearest {id}: {}", e.request.method, e.request.path, d.join("; "))
                }
                None => format!("{} {}: no case of this partner is near", e.request.method, e.request.path),
            })
            .collect()
    }

    /// Cases of the scene (not preludes) that no request reached.
    pub fn unserved(&self) -> Vec<String> {
        self.lock().scene.iter().filter(|e| !e.repeat && e.served == 0).map(|e| e.case.id()).collect()
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Incoming {
        method: method.as_str().to_owned(),
        path: uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let mut g = inner.lock().unwrap_or_else(|p| p.into_inner());
    let hit = g.scene.iter().position(|e| (e.repeat || e.served == 0) && differences(&e.case, &request).is_empty());
    if let Some(i) = hit {
        g.scene[i].served += 1;
        let answer = g.scene[i].answer.clone();
        let id = g.scene[i].case.id();
        g.log.push(Exchange { request, served: Some(id), nearest: None });
        return render(&answer);
    }
    let nearest = g
        .known
        .iter()
        .map(|c| {
            let d = differences(c, &request);
            let same_route = c.case.request.method.eq_ignore_ascii_case(&request.method)
                && super::matcher::path_differences(&c.case.request.path, &request.path).is_empty();
            ((!same_route, d.len()), c.id(), d)
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, id, d)| (id, d));
    let body = serde_json::json!({
        "replay": "no contract case matches this request",
        "nearest": nearest.as_ref().map(|n| n.0.clone()),
        "differences": nearest.as_ref().map(|n| n.1.clone()).unwrap_or_default(),
    });
    g.log.push(Exchange { request, served: None, nearest });
    (StatusCode::NOT_IMPLEMENTED, axum::Json(body)).into_response()
}

/// The recorded answer as an HTTP response.
pub fn render(a: &Answer) -> Response {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (ctype, body) = match &a.body {
        Body::None => (None, String::new()),
        Body::Json(v) => (Some("application/json"), v.to_string()),
        Body::Form(m) => (Some("application/x-www-form-urlencoded"), form(m)),
        Body::Xml(x) => (Some("text/xml; charset=utf-8"), x.clone()),
        Body::Text(t) => (Some("text/plain; charset=utf-8"), t.clone()),
        Body::Soap { .. } | Body::XmlFile(_) => (Some("text/plain"), String::new()),
    };
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    if let Some(c) = ctype
        && let Ok(v) = c.parse()
    {
        h.insert(header::CONTENT_TYPE, v);
    }
    for (k, v) in &a.headers {
        if let (Ok(k), Ok(v)) = (k.parse::<HeaderName>(), v.parse()) {
            h.insert(k, v);
        }
    }
    resp
}

/// A map as `a=1&b=2`, percent-encoded.
pub fn form(m: &BTreeMap<String, String>) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    m.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}
