//! Outgoing HTTP from the Worker: the database pipeline, the digest's posts and the deferred
//! answers all go through [`send`], one call to the runtime's `fetch` with its own `Request`
//! and `Response` objects.
//!
//! The `worker` crate's `Request::new_with_init` and `Fetch` would do the same, but they carry
//! Cloudflare-specific request properties (`cf`) through `serde-wasm-bindgen`: about 10 KB of
//! the Worker's gzipped wasm that none of these requests uses.

use worker::js_sys::Promise;
use worker::wasm_bindgen::{self, JsCast, JsValue, prelude::wasm_bindgen};
use worker::web_sys::{Headers, Request, RequestInit, Response};

use crate::promise::promised;
use crate::web;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn runtime_fetch(request: &Request) -> Result<Promise, JsValue>;
}

/// A request's answer, read to the end.
pub struct Reply {
    pub status: u16,
    headers: Headers,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }
}

/// Sends `body` to `url` with `method` and `headers` and reads the whole answer. The error
/// says what failed (the runtime refused the request, the connection failed, the body was
/// not text); an answer with any status is a [`Reply`].
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Reply, String> {
    let request = request(method, url, headers, body).map_err(describe)?;
    let response: Response = promised(&runtime_fetch(&request).map_err(describe)?)
        .await
        .map_err(describe)?
        .unchecked_into();
    let text = promised(&response.text().map_err(describe)?)
        .await
        .map_err(describe)?;
    Ok(Reply {
        status: response.status(),
        headers: response.headers(),
        body: text.as_string().unwrap_or_default(),
    })
}

fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Request, JsValue> {
    let header_map = web::headers(headers)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&header_map);
    init.set_body(&JsValue::from_str(body));
    Request::new_with_str_and_init(url, &init)
}

/// A JavaScript error's message (a `TypeError: fetch failed`, say), or what the value is.
fn describe(error: JsValue) -> String {
    match error.dyn_ref::<worker::js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => format!("{error:?}"),
    }
}
