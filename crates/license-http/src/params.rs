//! Parameters as the contract merges them (API.md §1): the query string, then the body (JSON
//! object or form, string or number values), the body winning; the token from `access_token`
//! or `Authorization: Bearer`.

use std::collections::HashMap;

use serde_json::Value;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// A body of a type the API does not take (HTTP 415).
    UnsupportedType(String),
    /// A malformed JSON or form body (HTTP 400, status `24`).
    Malformed(String),
}

/// The merged parameters of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: HashMap<String, String>,
}

fn json_value(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        // An object or array (e.g. `certificateData` sent inline) travels as JSON text.
        other => Some(other.to_string()),
    }
}

impl Params {
    /// Merges a query string and a body of the given content type.
    pub fn merge(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Self, BodyError> {
        let mut map = HashMap::new();
        if let Some(q) = query {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params { map });
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| BodyError::Malformed("the body is not UTF-8".into()))?;
        let mime = content_type
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let json = match mime.as_str() {
            "application/json" => true,
            "application/x-www-form-urlencoded" => false,
            "" => text.trim_start().starts_with('{'),
            m if m.ends_with("+json") => true,
            other => return Err(BodyError::UnsupportedType(other.to_owned())),
        };
        if json {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(obj)) => {
                    for (k, v) in obj {
                        if let Some(v) = json_value(v) {
                            map.insert(k, v);
                        }
                    }
                }
                Ok(_) => {
                    return Err(BodyError::Malformed(
                        "the JSON body must be an object".into(),
                    ));
                }
                Err(e) => return Err(BodyError::Malformed(format!("malformed JSON body: {e}"))),
            }
        } else {
            for (k, v) in form_urlencoded::parse(text.as_bytes()) {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        Ok(Params { map })
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<String> {
        self.map.get(name).cloned()
    }

    /// The first of several names that is present.
    pub fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.get(n))
    }

    /// Whether a parameter is present.
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }
}

pub use license_core::service::bearer_token as bearer;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_wins_and_numbers_are_strings() {
        let p = Params::merge(
            Some("interfaceType=0&a=1"),
            Some("application/json; charset=UTF-8"),
            br#"{"interfaceType":1,"certificateData":{"x":"y"},"n":null}"#,
        )
        .unwrap();
        assert_eq!(p.get("interfaceType").as_deref(), Some("1"));
        assert_eq!(p.get("a").as_deref(), Some("1"));
        assert_eq!(p.get("certificateData").as_deref(), Some(r#"{"x":"y"}"#));
        assert!(!p.has("n"));
        let f = Params::merge(
            None,
            Some("application/x-www-form-urlencoded"),
            "certificateCopyCause=%E5%8A%9E%E4%BA%8B&x=1".as_bytes(),
        )
        .unwrap();
        assert_eq!(f.get("certificateCopyCause").as_deref(), Some("办事"));
        assert!(Params::merge(None, None, b"").unwrap().get("x").is_none());
    }

    #[test]
    fn bad_bodies() {
        assert!(matches!(
            Params::merge(None, Some("application/json"), b"{oops"),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            Params::merge(None, Some("application/json"), b"[1]"),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            Params::merge(None, Some("text/plain"), b"x"),
            Err(BodyError::UnsupportedType(_))
        ));
        assert!(matches!(
            Params::merge(None, Some("application/json"), &[0xFF, 0xFE]),
            Err(BodyError::Malformed(_))
        ));
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer(Some("Bearer abc")).as_deref(), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")).as_deref(), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(None), None);
    }
}
