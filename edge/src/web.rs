//! The runtime's own `Request` and `Response`, which the Worker's `fetch` takes and gives back
//! as they are: the interactions path reads the body with [`body`] and answers with a
//! status, a content type and a body. The `fetch` module builds its requests' headers here too.
//!
//! The `worker` crate's `Request` reads the URL, the method and the `cf` object of every
//! request up front, and its `Response` is rebuilt (body copied, headers and init converted)
//! on the way out; on a PING that made up a measurable share of the Worker's CPU per request.

use std::cell::OnceCell;
use std::thread::LocalKey;

use worker::js_sys::{ArrayBuffer, JsString, Uint8Array};
use worker::wasm_bindgen::{self, JsCast, JsValue, prelude::wasm_bindgen};
use worker::web_sys::{Headers, Request, Response, ResponseInit};

use crate::interactions;
use crate::promise::promised;

#[wasm_bindgen]
extern "C" {
    /// The runtime's `Headers`, with a `get` that takes the name as a JavaScript string.
    #[wasm_bindgen(js_name = Headers)]
    type NamedHeaders;

    #[wasm_bindgen(method, catch, js_name = get)]
    fn get(this: &NamedHeaders, name: &JsString) -> Result<Option<String>, JsValue>;
}

thread_local! {
    // The request headers read on every interaction, as JavaScript strings made once per
    // isolate: `Headers::get` with a `&str` decodes the name out of wasm memory on each call.
    pub static CONTENT_LENGTH: JsString = JsString::from("content-length");
    pub static SIGNATURE: JsString = JsString::from(interactions::SIGNATURE_HEADER);
    pub static TIMESTAMP: JsString = JsString::from(interactions::TIMESTAMP_HEADER);
}

/// The value of the header `name` (one of the names above), if the request has it.
pub fn header(
    headers: &Headers,
    name: &'static LocalKey<JsString>,
) -> worker::Result<Option<String>> {
    Ok(name.with(|name| headers.unchecked_ref::<NamedHeaders>().get(name))?)
}

/// The whole body.
pub async fn body(request: &Request) -> worker::Result<Vec<u8>> {
    let buffer: ArrayBuffer = promised(&request.array_buffer()?).await?.unchecked_into();
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// An answer with `status`, a `content-type` and `body`, plus `extra` headers.
pub fn respond(
    status: u16,
    content_type: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> worker::Result<Response> {
    let init = init(status, content_type, extra)?;
    Ok(Response::new_with_opt_str_and_init(Some(body), &init)?)
}

fn init(status: u16, content_type: &str, extra: &[(&str, &str)]) -> Result<ResponseInit, JsValue> {
    let headers = headers(extra)?;
    headers.set("content-type", content_type)?;
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    Ok(init)
}

/// A `Headers` object holding `pairs`, for a response or an outgoing request.
pub fn headers(pairs: &[(&str, &str)]) -> Result<Headers, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in pairs {
        headers.set(name, value)?;
    }
    Ok(headers)
}

thread_local! {
    // Every interaction answer is a 200 with a JSON body. A `Response` copies its init's
    // status and headers, so one init serves them all; the body goes over as bytes, not as a
    // JavaScript string the runtime would encode to UTF-8 again.
    static JSON_OK: OnceCell<ResponseInit> = const { OnceCell::new() };
}

/// `200` with a JSON body.
pub fn json(mut body: Vec<u8>) -> worker::Result<Response> {
    JSON_OK.with(|cached| {
        let init = match cached.get() {
            Some(init) => init,
            None => {
                let init = init(200, "application/json", &[])?;
                cached.get_or_init(|| init)
            }
        };
        Ok(Response::new_with_opt_u8_array_and_init(
            Some(&mut body),
            init,
        )?)
    })
}

/// A plain-text answer, for everything that is not an interaction response.
pub fn plain(status: u16, text: &str) -> worker::Result<Response> {
    respond(status, "text/plain;charset=UTF-8", text, &[])
}
