//! A test-only route that answers Ed25519 cases with the runtime's WebCrypto, so the
//! end-to-end suite can hold it to the answers of `verify::portable` (run natively by the
//! suite, the same code native builds verify with). It exists only when the
//! `SELF_TEST_ROUTES` var is `"enabled"` (never in wrangler.toml), as does a route that
//! traps on purpose.

use miniserde::Deserialize;
use serde::Serialize;
use worker::Env;
use worker::web_sys::{Request, Response};

use crate::verify::{self, VerifyError, webcrypto};
use crate::web;

pub const PATH: &str = "/__self-test/ed25519";
/// Panics (a trap in this `panic = "abort"` build), so the suite can check that the next
/// request is served by a fresh instance (worker-build's entry re-instantiates the module).
pub const TRAP_PATH: &str = "/__self-test/trap";

pub fn enabled(env: &Env) -> bool {
    env.var("SELF_TEST_ROUTES")
        .is_ok_and(|var| var.to_string() == "enabled")
}

#[derive(Deserialize)]
struct Case {
    public_key: String,
    signature: String,
    timestamp: String,
    body: String,
}

#[derive(Serialize)]
struct Answer {
    webcrypto: String,
}

pub fn trap() -> ! {
    panic!("the self-test trap route was called");
}

pub async fn serve(request: Request) -> worker::Result<Response> {
    let body = String::from_utf8(web::body(&request).await?)
        .map_err(|_| worker::Error::from("the cases are not UTF-8"))?;
    let cases: Vec<Case> = miniserde::json::from_str(&body)
        .map_err(|_| worker::Error::from("the cases are not a JSON list of cases"))?;
    let mut answers = Vec::with_capacity(cases.len());
    for case in cases {
        answers.push(answer(&case).await);
    }
    web::json(serde_json::to_vec(&answers)?)
}

async fn answer(case: &Case) -> Answer {
    let Some(key) = hex::decode(&case.public_key)
        .ok()
        .and_then(|bytes| ed25519_compact::PublicKey::from_slice(&bytes).ok())
    else {
        return Answer {
            webcrypto: "bad key".to_owned(),
        };
    };
    let webcrypto = match verify::decode_signature(&case.signature) {
        Err(error) => describe(Err(error)),
        Ok(signature) => {
            match webcrypto::check(&key, &signature, &case.timestamp, case.body.as_bytes()).await {
                Ok(answer) => describe(answer),
                Err(webcrypto::Unavailable) => "unavailable".to_owned(),
            }
        }
    };
    Answer { webcrypto }
}

fn describe(answer: Result<(), VerifyError>) -> String {
    match answer {
        Ok(()) => "valid".to_owned(),
        Err(error) => format!("{error:?}"),
    }
}
