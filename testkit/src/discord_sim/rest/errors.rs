//! Discord's JSON error answers (`{"code": …, "message": …}`, and `errors` for form bodies),
//! with the JSON error codes from the API reference.
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

#[derive(Debug, PartialEq)]
pub(crate) enum ApiError {
    Unauthorized,
    UnknownChannel,
    UnknownMessage,
    UnknownWebhook,
    UnknownEmoji,
    MissingAccess,
    InvalidWebhookToken,
    EmptyMessage,
    InvalidJson,
    /// 50035 with the per-field errors.
    InvalidForm(FormErrors),
    /// A scripted 5xx.
    Server(StatusCode),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, 0, "401: Unauthorized"),
            Self::UnknownChannel => (StatusCode::NOT_FOUND, 10003, "Unknown Channel"),
            Self::UnknownMessage => (StatusCode::NOT_FOUND, 10008, "Unknown Message"),
            Self::UnknownWebhook => (StatusCode::NOT_FOUND, 10015, "Unknown Webhook"),
            Self::UnknownEmoji => (StatusCode::BAD_REQUEST, 10014, "Unknown Emoji"),
            Self::MissingAccess => (StatusCode::FORBIDDEN, 50001, "Missing Access"),
            Self::InvalidWebhookToken => (StatusCode::UNAUTHORIZED, 50027, "Invalid Webhook Token"),
            Self::EmptyMessage => (
                StatusCode::BAD_REQUEST,
                50006,
                "Cannot send an empty message",
            ),
            Self::InvalidJson => (
                StatusCode::BAD_REQUEST,
                50109,
                "The request body contains invalid JSON.",
            ),
            Self::InvalidForm(_) => (StatusCode::BAD_REQUEST, 50035, "Invalid Form Body"),
            Self::Server(status) => (
                *status,
                0,
                status.canonical_reason().unwrap_or("Server Error"),
            ),
        };
        let body = match self {
            Self::InvalidForm(errors) => {
                json!({"code": code, "errors": errors.into_json(), "message": message})
            }
            Self::Server(status) => {
                json!({"code": code, "message": format!("{}: {message}", status.as_u16())})
            }
            _ => json!({"code": code, "message": message}),
        };
        (status, Json(body)).into_response()
    }
}

/// An unknown route, as Discord answers it.
pub(crate) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"code": 0, "message": "404: Not Found"})),
    )
        .into_response()
}

/// A known route with a method it does not take.
pub(crate) fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({"code": 0, "message": "405: Method Not Allowed"})),
    )
        .into_response()
}

/// Field errors of an invalid form body, keyed by path (`["content"]`, `["0", "options", "1", "name"]`),
/// rendered as Discord nests them: `{"content": {"_errors": [{"code": …, "message": …}]}}`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct FormErrors {
    errors: Vec<(Vec<String>, &'static str, String)>,
}

impl FormErrors {
    pub fn add(&mut self, path: &[&str], code: &'static str, message: impl Into<String>) {
        self.errors.push((
            path.iter().map(|p| (*p).to_owned()).collect(),
            code,
            message.into(),
        ));
    }

    /// Adds the errors of a nested object under `prefix`.
    pub fn extend_under(&mut self, prefix: &[&str], nested: Self) {
        for (path, code, message) in nested.errors {
            let full = prefix.iter().map(|p| (*p).to_owned()).chain(path).collect();
            self.errors.push((full, code, message));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_result(self) -> Result<(), ApiError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidForm(self))
        }
    }

    fn into_json(self) -> Value {
        let mut root = Map::new();
        for (path, code, message) in self.errors {
            let mut node = &mut root;
            for key in path {
                node = node
                    .entry(key)
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .expect("error tree nodes are objects");
            }
            let list = node.entry("_errors").or_insert_with(|| json!([]));
            if let Some(list) = list.as_array_mut() {
                list.push(json!({"code": code, "message": message}));
            }
        }
        Value::Object(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_errors_nest_by_path_as_discord_renders_them() {
        let mut errors = FormErrors::default();
        errors.add(
            &["content"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        );
        errors.add(
            &["0", "options", "1", "name"],
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        );
        assert_eq!(
            errors.into_json(),
            json!({
                "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]},
                "0": {"options": {"1": {"name": {"_errors": [{"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"}]}}}}
            })
        );
    }
}
