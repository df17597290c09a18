//! Ed25519 verification through the Workers runtime's WebCrypto (`crypto.subtle`), the
//! native code Discord's JavaScript `verifyKey` uses, about four times faster than
//! `ed25519-compact` compiled to wasm.

use std::cell::RefCell;

use ed25519_compact::PublicKey;
use wasm_bindgen::prelude::*;
use worker::js_sys::{Array, JsString, Promise};

use super::VerifyError;
use crate::promise::promised;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["crypto", "subtle"], js_name = importKey)]
    fn import_key(
        format: &str,
        key_data: &[u8],
        algorithm: &JsString,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["crypto", "subtle"], js_name = verify)]
    fn subtle_verify(
        algorithm: &JsString,
        key: &JsValue,
        signature: &[u8],
        data: &[u8],
    ) -> Result<Promise, JsValue>;
}

/// The runtime has no Ed25519 in WebCrypto (or refused the key): use the portable check.
#[derive(Debug)]
pub struct Unavailable;

thread_local! {
    // Made a JavaScript string once, not decoded out of wasm memory on every verification.
    static ALGORITHM: JsString = JsString::from("Ed25519");
    // Importing the key costs about as much as a verification; an isolate serves one
    // application, so the imported key is kept for the isolate's lifetime.
    static IMPORTED: RefCell<Option<([u8; 32], JsValue)>> = const { RefCell::new(None) };
}

/// Checks `signature` over `timestamp ‖ body` with `crypto.subtle.verify`.
pub async fn check(
    key: &PublicKey,
    signature: &[u8; 64],
    timestamp: &str,
    body: &[u8],
) -> Result<Result<(), VerifyError>, Unavailable> {
    let crypto_key = imported_key(key).await?;
    let message = [timestamp.as_bytes(), body].concat();
    let promise = ALGORITHM
        .with(|algorithm| subtle_verify(algorithm, &crypto_key, signature, &message))
        .map_err(|_| Unavailable)?;
    let valid = promised(&promise).await.map_err(|_| Unavailable)?;
    Ok(if valid.as_bool() == Some(true) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    })
}

async fn imported_key(key: &PublicKey) -> Result<JsValue, Unavailable> {
    let cached = IMPORTED.with_borrow(|imported| match imported {
        Some((bytes, crypto_key)) if bytes == &**key => Some(crypto_key.clone()),
        _ => None,
    });
    if let Some(crypto_key) = cached {
        return Ok(crypto_key);
    }
    let usages = Array::of1(&JsValue::from_str("verify"));
    let promise = ALGORITHM
        .with(|algorithm| import_key("raw", &key[..], algorithm, false, &usages))
        .map_err(|_| Unavailable)?;
    let crypto_key = promised(&promise).await.map_err(|_| Unavailable)?;
    IMPORTED.set(Some((**key, crypto_key.clone())));
    Ok(crypto_key)
}
