//! A console form as it arrived (`application/x-www-form-urlencoded`): its fields in order,
//! repeated names kept (check boxes), read by name.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};

/// A form's fields.
#[derive(Debug, Clone, Default)]
pub(super) struct FormData(Vec<(String, String)>);

impl FormData {
    /// Fields of a query string or form body.
    pub fn parse(bytes: &[u8]) -> Self {
        FormData(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(FormData::parse(&bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_by_name() {
        let f = FormData::parse("a=1&roles=info&roles=search&b=+".as_bytes());
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.all("roles"), ["info", "search"]);
        assert_eq!(f.text("b"), None);
        assert_eq!(f.text("missing"), None);
    }
}
