//! The OpenAPI 3.1 document of the REST front (share interfaces, token endpoint, download links,
//! verification page, operations and the admin API), served at
//! `/license-api-release/openapi.json` and committed as `openapi.json` at the repository root
//! (a test fails when it is stale: `cargo xtask openapi` rewrites it).
//!
//! The admin API is described by `utoipa` from its handlers' annotations and DTOs; the share
//! interfaces are generated from core's interface list and parameter names, so a name is
//! spelled once.

use license_core::Interface;
use license_core::interface::{
    BASE_PATH, CITY_DOWNLOAD_PATH, HOLDER_QUERY_ALIAS, PROVINCE_DOWNLOAD_PATH, REVOKE_PATH,
    SHARE_PREFIX, TOKEN_PATH, VERIFY_PAGE_PATH,
};
use license_core::params as p;
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::admin;

mod share;

use share::*;

/// The document's path, under the base path.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Swagger UI's path, under the base path.
pub const DOCS_PATH: &str = "/docs";

/// The admin API, described from its handlers.
#[derive(OpenApi)]
#[openapi(
    paths(
        admin::issue,
        admin::search,
        admin::license,
        admin::change_state,
        admin::reissue,
        admin::import,
        admin::accounts,
        admin::create_account,
        admin::set_enabled,
        admin::set_password,
        admin::clients,
        admin::add_client,
        admin::remove_client,
        admin::cert_types,
        admin::set_cert_type,
        admin::audit,
        admin::outbox,
        admin::retry_push,
        crate::collect::collect,
    ),
    components(schemas(admin::Failure, admin::AdminHead)),
    modifiers(&AdminCommon),
    tags(
        (name = "admin", description = "Administration (our extension; `admin` role)"),
        (name = "province", description = "The province's collection interfaces, through which cities push licenses up (our extension; `sync` role; API.md §5)")
    )
)]
struct AdminDoc;

/// What every admin operation shares, declared once here and added to each: the `admin` tag,
/// bearer security, the `access_token` query parameter (unless its query type has its own)
/// and the documented failures.
struct AdminCommon;

impl utoipa::Modify for AdminCommon {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::security::SecurityRequirement;
        use utoipa::{IntoParams, IntoResponses};
        let prefix = format!("{BASE_PATH}{}/", admin::ADMIN_PREFIX);
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with(&prefix) {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                op.tags = Some(vec!["admin".to_owned()]);
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                let params = op.parameters.get_or_insert_with(Vec::new);
                let has_token = params
                    .iter()
                    .any(|q| matches!(q, RefOr::T(q) if q.name == p::ACCESS_TOKEN));
                if !has_token {
                    let token = admin::TokenQuery::into_params(|| Some(ParameterIn::Query));
                    params.extend(token.into_iter().map(RefOr::T));
                }
                for (status, answer) in admin::Failures::responses() {
                    op.responses.responses.entry(status).or_insert(answer);
                }
            }
        }
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = AdminDoc::openapi();
    doc.info.title = "电子证照共享服务平台 — license sharing API".into();
    doc.info.description = Some(
        "The REST contract of DB3704/T 0042-2024 as made precise in API.md, plus this project's \
         admin API. Share interfaces answer HTTP 200 for every business outcome; head.status \
         is the return code."
            .into(),
    );
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc.info.license = Some(utoipa::openapi::License::new("Apache-2.0"));
    doc.info.contact = None;
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    for (name, v) in [
        ("Head", head()),
        ("ShareFailure", failure()),
        ("CityRecord", city_record()),
        ("ProvinceFace", province_face()),
    ] {
        components.schemas.insert(name.into(), schema(v));
    }
    for i in Interface::SHARE {
        if i == Interface::ShareVerifyCertFile {
            continue;
        }
        let (request_name, answer_name) = component_names(i);
        components
            .schemas
            .insert(request_name, schema(request_schema(i)));
        components.schemas.insert(answer_name, schema(answer(i)));
    }

    // Share interfaces: one path per name (the two verification variants share one).
    let mut names: Vec<(&str, Interface)> = Vec::new();
    for i in Interface::SHARE {
        if i == Interface::ShareVerifyCertFile {
            continue;
        }
        names.push((i.name(), i));
    }
    names.push((HOLDER_QUERY_ALIAS, Interface::ShareQueryCertInfoByHo));
    for (name, i) in names {
        let path = format!("{BASE_PATH}{SHARE_PREFIX}{name}");
        add(
            &mut doc,
            &path,
            HttpMethod::Post,
            share_operation(i, name, "post"),
        );
        add(
            &mut doc,
            &path,
            HttpMethod::Get,
            share_operation(i, name, "get"),
        );
    }

    // The token endpoint (RFC 6749 shapes, not the envelope).
    let codes: Vec<&str> = license_core::service::OAuthErrorKind::ALL
        .iter()
        .map(|k| k.code())
        .collect();
    let oauth_error = json!({
        "type": "object", "required": ["error"],
        "properties": { "error": { "type": "string", "enum": codes }, "error_description": string() }
    });
    let oauth_failures = json!({
        "400": { "description": "RFC 6749 §5.2 error", "content": { "application/json": { "schema": oauth_error } } },
        "401": { "description": "invalid_client", "content": { "application/json": { "schema": oauth_error } } },
        "413": { "description": "Body too large" },
        "429": { "description": "slow_down: too many token requests from this address (Retry-After)", "content": { "application/json": { "schema": oauth_error } } }
    });
    let grant = json!({
        "type": "object",
        "properties": {
            "grant_type": { "type": "string", "enum": ["password", "refresh_token"] },
            "client_id": string(), "client_secret": string(), "scope": { "type": "string", "examples": ["read write"] },
            "username": string(), "password": string(), "refresh_token": string()
        }
    });
    add(
        &mut doc,
        &format!("{BASE_PATH}{TOKEN_PATH}"),
        HttpMethod::Post,
        json!({
            "tags": ["oauth"],
            "operationId": "oauthToken",
            "summary": "Password and refresh grants (RFC 6749 §4.3, §6; API.md §2)",
            "requestBody": { "content": {
                "application/x-www-form-urlencoded": { "schema": grant },
                "application/json": { "schema": grant }
            }},
            "responses": {
                "200": { "description": "A token", "content": { "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["access_token", "token_type", "refresh_token", "expires_in", "scope"],
                        "properties": { "access_token": string(), "token_type": { "type": "string", "enum": ["bearer"] }, "refresh_token": string(), "expires_in": { "type": "integer" }, "scope": string() }
                    },
                    "example": { "access_token": "f54922eb-5b0f-4a35-9a28-d2a2e1a0c3b1", "token_type": "bearer", "refresh_token": "bc2d74f1-0d7c-4c1a-8e43-5a1f3c7d9e20", "expires_in": 43199, "scope": "read write" }
                }}},
            }
        })
        .tap_responses(&oauth_failures),
    );
    let revocation = json!({
        "type": "object",
        "properties": {
            "client_id": string(), "client_secret": string(), "token": string(),
            "token_type_hint": { "type": "string", "enum": ["access_token", "refresh_token"] }
        }
    });
    add(
        &mut doc,
        &format!("{BASE_PATH}{REVOKE_PATH}"),
        HttpMethod::Post,
        json!({
            "tags": ["oauth"],
            "operationId": "oauthRevoke",
            "summary": "Token revocation (RFC 7009): the pair of an access or refresh token ends; 200 also for an unknown token",
            "requestBody": { "content": {
                "application/x-www-form-urlencoded": { "schema": revocation },
                "application/json": { "schema": revocation }
            }},
            "responses": { "200": { "description": "Revoked, or nothing to revoke" } }
        })
        .tap_responses(&oauth_failures),
    );

    // Download links (capabilities: no token).
    for (path, param) in [
        (CITY_DOWNLOAD_PATH, "fileId"),
        (PROVINCE_DOWNLOAD_PATH, "id"),
    ] {
        add(
            &mut doc,
            &format!("{BASE_PATH}{path}"),
            HttpMethod::Get,
            json!({
                "tags": ["download"],
                "operationId": format!("download{}", if param == "id" { "Province" } else { "City" }),
                "summary": "An annotated copy by its download link (API.md §6)",
                "parameters": [
                    { "name": param, "in": "query", "required": false, "schema": string() },
                    { "name": "fileFormat", "in": "query", "required": false, "schema": string() }
                ],
                "responses": {
                    "200": { "description": "The OFD file", "content": { "application/ofd": { "schema": { "type": "string", "contentMediaType": "application/ofd" } } } },
                    "404": { "description": "Unknown or expired link (status 10)", "content": { "application/json": { "schema": r("ShareFailure") } } }
                }
            }),
        );
    }
    add(
        &mut doc,
        &format!("{BASE_PATH}{VERIFY_PAGE_PATH}{{token}}"),
        HttpMethod::Get,
        json!({
            "tags": ["public"],
            "operationId": "verificationPage",
            "summary": "The public verification page a license's QR value points to (API.md §7)",
            "parameters": [{ "name": "token", "in": "path", "required": true, "schema": string() }],
            "responses": {
                "200": { "description": "The page", "content": { "text/html": { "schema": string() } } },
                "404": { "description": "Unknown token", "content": { "text/html": { "schema": string() } } },
                "503": { "description": "Database unreachable", "content": { "text/html": { "schema": string() } } }
            }
        }),
    );
    for (path, id, summary, ok) in [
        ("/healthz", "healthz", "Alive", "text/plain"),
        (
            "/readyz",
            "readyz",
            "Ready (database reachable)",
            "text/plain",
        ),
        (
            "/metrics",
            "metrics",
            "Prometheus/OpenMetrics text: requests and latency by interface and return code",
            "application/openmetrics-text",
        ),
    ] {
        let mut responses =
            json!({ "200": { "description": summary, "content": { ok: { "schema": string() } } } });
        if id == "readyz" {
            responses["503"] = json!({ "description": "Database unreachable", "content": { "text/plain": { "schema": string() } } });
        }
        add(
            &mut doc,
            path,
            HttpMethod::Get,
            json!({ "tags": ["operations"], "operationId": id, "summary": summary, "responses": responses }),
        );
    }
    doc
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut s = serde_json::to_string_pretty(&document()).expect("serializable");
    s.push('\n');
    s
}

/// Adds responses to an operation's `responses` object.
trait TapResponses {
    fn tap_responses(self, more: &Value) -> Self;
}

impl TapResponses for Value {
    fn tap_responses(mut self, more: &Value) -> Self {
        if let (Some(responses), Some(more)) = (
            self.get_mut("responses").and_then(Value::as_object_mut),
            more.as_object(),
        ) {
            for (k, v) in more {
                responses.insert(k.clone(), v.clone());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_share_interface_is_documented_with_get_and_post() {
        let doc: Value = serde_json::from_str(&document_json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        for i in Interface::SHARE {
            let path = format!("{BASE_PATH}{SHARE_PREFIX}{}", i.name());
            assert!(doc["paths"][&path]["post"].is_object(), "{path}");
            assert!(doc["paths"][&path]["get"].is_object(), "{path}");
        }
        assert!(doc["paths"]["/license-api-release/admin/licenses"]["post"].is_object());
        assert!(doc["paths"]["/license-api-release/oauth/token"]["post"].is_object());
    }

    #[test]
    fn the_committed_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == document_json(),
            "openapi.json is stale: run `cargo xtask openapi` and commit it"
        );
    }
}
