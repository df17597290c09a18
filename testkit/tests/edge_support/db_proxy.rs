//! A proxy in front of the dev-db that makes chosen requests slow or failing, so the tests can
//! give the Worker a slow or broken database for one guild while the others run normally.
//! A request is chosen by a marker in its body (a guild id is in every statement's arguments).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What happens to a request whose body holds the marker.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Forwarded after this long.
    Delay(Duration),
    /// Answered with this status by the proxy; the database never sees it.
    Fail(u16),
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    client: reqwest::Client,
    rules: Arc<Mutex<Vec<(String, Fault)>>>,
}

/// The proxy, serving until the runtime it was started on stops.
pub struct DbProxy {
    url: String,
    rules: Arc<Mutex<Vec<(String, Fault)>>>,
}

impl DbProxy {
    pub async fn start(upstream: String) -> std::io::Result<Self> {
        let rules = Arc::new(Mutex::new(Vec::new()));
        let proxy = Proxy {
            upstream,
            client: reqwest::Client::new(),
            rules: Arc::clone(&rules),
        };
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = Router::new().fallback(forward).with_state(proxy);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(DbProxy { url, rules })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// From now on, requests whose body contains `marker` suffer `fault`.
    pub fn fault_when_body_contains(&self, marker: &str, fault: Fault) {
        self.rules.lock().unwrap().push((marker.to_owned(), fault));
    }
}

async fn forward(
    State(proxy): State<Proxy>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = {
        let text = String::from_utf8_lossy(&body);
        let rules = proxy.rules.lock().unwrap();
        rules
            .iter()
            .find(|(marker, _)| text.contains(marker.as_str()))
            .map(|(_, fault)| *fault)
    };
    match fault {
        Some(Fault::Fail(status)) => {
            return (
                StatusCode::from_u16(status).unwrap(),
                "injected database failure",
            )
                .into_response();
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let mut request = proxy
        .client
        .post(format!("{}{}", proxy.upstream, uri.path()))
        .body(body);
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let bytes = answer.bytes().await.unwrap_or_default();
            (status, [("content-type", "application/json")], bytes).into_response()
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}
