//! A test-only route that runs both Ed25519 implementations on the same inputs inside the
//! Workers runtime, so the end-to-end suite can hold them to the same answers. It exists
//! only when the `SELF_TEST_ROUTES` var is `"enabled"` (never in wrangler.toml).

use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

use crate::verify::{self, VerifyError, portable, webcrypto};

pub const PATH: &str = "/__self-test/ed25519";

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
struct Answers {
    webcrypto: String,
    portable: String,
}

pub async fn serve(mut request: Request) -> worker::Result<Response> {
    let cases: Vec<Case> = request.json().await?;
    let mut answers = Vec::with_capacity(cases.len());
    for case in cases {
        answers.push(answer(&case).await);
    }
    Response::from_json(&answers)
}

async fn answer(case: &Case) -> Answers {
    let Some(key) = hex::decode(&case.public_key)
        .ok()
        .and_then(|bytes| ed25519_compact::PublicKey::from_slice(&bytes).ok())
    else {
        return Answers {
            webcrypto: "bad key".to_owned(),
            portable: "bad key".to_owned(),
        };
    };
    let signature = match verify::decode_signature(&case.signature) {
        Ok(signature) => signature,
        Err(error) => {
            return Answers {
                webcrypto: describe(Err(error)),
                portable: describe(Err(error)),
            };
        }
    };
    let body = case.body.as_bytes();
    Answers {
        webcrypto: match webcrypto::check(&key, &signature, &case.timestamp, body).await {
            Ok(answer) => describe(answer),
            Err(webcrypto::Unavailable) => "unavailable".to_owned(),
        },
        portable: describe(portable::check(&key, &signature, &case.timestamp, body)),
    }
}

fn describe(answer: Result<(), VerifyError>) -> String {
    match answer {
        Ok(()) => "valid".to_owned(),
        Err(error) => format!("{error:?}"),
    }
}
