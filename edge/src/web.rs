//! The runtime's own `Request` and `Response`, which `#[event(fetch)]` hands over and takes
//! back as they are: the interactions path reads the body with [`body`] and answers with a
//! status, a content type and a body. `fetch` builds its requests' headers here too.
//!
//! The `worker` crate's `Request` reads the URL, the method and the `cf` object of every
//! request up front, and its `Response` is rebuilt (body copied, headers and init converted)
//! on the way out; on a PING that made up a measurable share of the Worker's CPU per request.

use worker::js_sys::{ArrayBuffer, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{Headers, Request, Response, ResponseInit};

/// The whole body.
pub async fn body(request: &Request) -> worker::Result<Vec<u8>> {
    let buffer: ArrayBuffer = JsFuture::from(request.array_buffer()?)
        .await?
        .unchecked_into();
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// An answer with `status`, a `content-type` and `body`, plus `extra` headers.
pub fn respond(
    status: u16,
    content_type: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> worker::Result<Response> {
    let headers = headers(extra)?;
    headers.set("content-type", content_type)?;
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    Ok(Response::new_with_opt_str_and_init(Some(body), &init)?)
}

/// A `Headers` object holding `pairs`, for a response or an outgoing request.
pub fn headers(pairs: &[(&str, &str)]) -> Result<Headers, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in pairs {
        headers.set(name, value)?;
    }
    Ok(headers)
}

/// `200` with a JSON body.
pub fn json(body: &str) -> worker::Result<Response> {
    respond(200, "application/json", body, &[])
}

/// A plain-text answer, for everything that is not an interaction response.
pub fn plain(status: u16, text: &str) -> worker::Result<Response> {
    respond(status, "text/plain;charset=UTF-8", text, &[])
}
