//! The share interfaces' part of the document, generated from core's interface list and
//! parameter names: schemas of every answer, parameters, examples, operations.

use license_core::params as p;
use license_core::{Interface, ReturnCode};
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::schema::Schema;

pub(super) fn schema(v: Value) -> RefOr<Schema> {
    serde_json::from_value(v).expect("a valid schema literal")
}

pub(super) fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(super) fn string() -> Value {
    json!({ "type": "string" })
}

/// `head` of every envelope.
pub(super) fn head() -> Value {
    json!({
        "type": "object",
        "required": ["status", "message"],
        "properties": {
            "status": { "type": "string", "description": "Return code (API.md §4), always a string", "examples": ["0"] },
            "message": { "type": "string", "examples": ["接口调用成功"] },
            "type": { "type": "string", "enum": ["1", "2"], "description": "1 = province library, 2 = city library" },
            "sign": { "type": "string" },
            "time": { "type": "integer" },
            "shengIsExists": { "type": "string", "enum": ["0", "1"] },
            "shiIsExists": { "type": "string", "enum": ["0", "1"] }
        }
    })
}

pub(super) fn list_of(item: Value) -> Value {
    json!({
        "type": "object",
        "required": ["total", "dataList"],
        "properties": { "total": { "type": "integer", "minimum": 0 }, "dataList": { "type": "array", "items": item } }
    })
}

pub(super) fn object_of(fields: &[&str]) -> Value {
    let props: Map<String, Value> = fields.iter().map(|f| ((*f).to_owned(), string())).collect();
    json!({ "type": "object", "required": fields, "properties": props })
}

pub(super) fn province_face() -> Value {
    json!({
        "type": "object",
        "description": "The license's face fields as stored, plus cert_identifier",
        "required": ["cert_identifier"],
        "additionalProperties": { "type": "string" },
        "properties": { "cert_identifier": { "type": "string" } }
    })
}

pub(super) fn city_record() -> Value {
    let mut v = object_of(&[
        "certificateHolder",
        "certificateValidateStart",
        "certificateValidateEnd",
        "issueDept",
        "certificateID",
        "certificateName",
        "certificateHolderType",
        "certificateNumber",
        "issueDeptCode",
        "certificateHolderCode",
        "issueDate",
        "digitalSign",
        "certificateType",
        "certificateState",
    ]);
    v["properties"]["detail"] = json!({ "type": "array" });
    v
}

/// What `data` holds on success, by interface (API.md §6).
pub(super) fn data_schema(i: Interface) -> Value {
    let records = json!({ "oneOf": [list_of(r("CityRecord")), list_of(r("ProvinceFace"))] });
    let links = json!({ "oneOf": [
        list_of(object_of(&["issueDept", "certificateNumber", "fileUrl", "issueDate", "fileFormat", "certificateType"])),
        list_of(object_of(&["certIdentifier", "contentType", "content"])),
    ]});
    match i {
        Interface::ShareDownloadUrl | Interface::ShareDownloadUrlsByHolderCode => links,
        Interface::ShareQueryCertInfo | Interface::ShareQueryCertInfoByHo => records,
        Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile => json!({ "oneOf": [
            { "type": "object", "required": ["verifyResult"], "properties": { "verifyResult": { "type": "string", "enum": ["true", "false"] } } },
            list_of(json!({ "type": "object", "required": ["result", "message"], "properties": { "result": { "type": "integer", "minimum": 0, "maximum": 5 }, "message": string() } })),
            { "type": "object", "required": ["result", "message"], "properties": { "result": { "type": "string", "enum": ["0", "1", "2", "3", "4", "5"] }, "message": string() } },
        ]}),
        Interface::ShareQueryCertInfoByQRcode => json!({ "oneOf": [
            object_of(&["img_sign_fileid", "license_name", "fileNumber", "issue_unitname", "valid_time_begin", "holder", "license_state", "valid_time_end", "licenseId", "abstractCode", "license_number"]),
            list_of(r("ProvinceFace")),
        ]}),
        Interface::ShareDownloadFile => list_of(json!({
            "type": "object",
            "required": ["certIdentifier", "contentType", "content"],
            "properties": {
                "certIdentifier": string(),
                "contentType": { "type": "string", "enum": ["base64"] },
                "content": { "oneOf": [string(), { "type": "array", "items": string() }] }
            }
        })),
        Interface::InsertToProvince => list_of(object_of(&["certIdentifier"])),
        Interface::UpdateToProvince | Interface::DeleteToProvince => json!({ "type": "null" }),
        Interface::ShengShiStateInfo => {
            json!({ "oneOf": [{ "type": "null" }, list_of(r("ProvinceFace"))] })
        }
        Interface::DownloadPdfFile => list_of(string()),
        Interface::Token
        | Interface::Revoke
        | Interface::DownloadLink
        | Interface::VerifyPage
        | Interface::Admin
        | Interface::Collect => json!({}),
    }
}

/// The parameters an interface reads (API.md §3, §6): (name, required).
pub(super) fn parameters(i: Interface) -> Vec<(&'static str, bool)> {
    let ctx = [
        (p::CERTIFICATE_SYSTEM_NAME, true),
        (p::CERTIFICATE_CALL_CATEGORY, true),
        (p::CERTIFICATE_MATTER_NAME, true),
        (p::CERTIFICATE_EVENT_CODE, true),
        (p::CERTIFICATE_COPY_CAUSE, true),
        (p::CALL_DISTRICT, false),
        (p::CALL_DEPARTMENT, false),
        (p::DISTRICT_LEVEL, false),
    ];
    let op = [
        p::CLIENT_INFO_AREA_CODE,
        p::CLIENT_INFO_DEPT_CODE,
        p::CLIENT_INFO_OPER_NAME,
        p::DEPT_NAME,
        p::WHOSE,
        p::CATEGORY,
        p::LICENSE_TYPE_CODE,
        p::OPER_USER_NAME,
        p::OPER_TIME,
        p::OPER_USER_IP,
    ]
    .map(|n| (n, false));
    let holder = [
        (p::CERTIFICATE_HOLDER_CODE, true),
        (p::CERTIFICATE_HOLDER_CODE_TYPE, true),
        (p::CERT_TYPE_CODE, true),
        (p::CERTIFICATE_NUMBER, false),
        (p::CERTIFICATE_TYPE, false),
        (p::MODE, false),
        (p::PAGE, false),
        (p::SIZE, false),
        (p::INTERFACE_TYPE, false),
    ];
    let mut v: Vec<(&str, bool)> = match i {
        Interface::ShareDownloadUrl => vec![(p::CERTIFICATE_ID, true), (p::EXPIRY_TIME, false)],
        Interface::ShareQueryCertInfo => {
            vec![(p::CERTIFICATE_ID, true), (p::INTERFACE_TYPE, false)]
        }
        Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile => vec![
            (p::CERT_TYPE_CODE, true),
            (p::CERTIFICATE_DATA, false),
            (p::USE_FOR, false),
            (p::CERTIFICATE_HOLDER_CODE, false),
            (p::CONTENT_TYPE, false),
            (p::CONTENT, false),
            (p::USE_CAUSE, false),
            (p::INTERFACE_TYPE, false),
        ],
        Interface::ShareQueryCertInfoByQRcode => {
            vec![(p::QR_VALUE, true), (p::INTERFACE_TYPE, false)]
        }
        Interface::ShareQueryCertInfoByHo
        | Interface::ShareDownloadUrlsByHolderCode
        | Interface::ShengShiStateInfo => holder.to_vec(),
        Interface::ShareDownloadFile => vec![
            (p::CERTIFICATE_IDENTIFIER, true),
            (p::CERTIFICATE_COPY_EXPIRING_TIME, false),
            (p::INTERFACE_TYPE, false),
            (p::FILE_TYPE, false),
        ],
        Interface::InsertToProvince | Interface::DeleteToProvince => {
            return vec![(p::FILE_NUMBER, true), (p::ACCESS_TOKEN, false)];
        }
        Interface::UpdateToProvince => {
            return vec![
                (p::FILE_NUMBER, true),
                (p::CERT_IDENTIFIER, true),
                (p::ACCESS_TOKEN, false),
            ];
        }
        Interface::DownloadPdfFile => {
            return vec![(p::ABSTRACT_CODE, true), (p::ACCESS_TOKEN, false)];
        }
        Interface::Token
        | Interface::Revoke
        | Interface::DownloadLink
        | Interface::VerifyPage
        | Interface::Admin
        | Interface::Collect => {
            return vec![];
        }
    };
    match i {
        Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile => {
            v.extend([ctx[5], ctx[6], ctx[7]]);
        }
        _ => v.extend(ctx),
    }
    // API.md §4.3: "op" on 4.3.6, 4.3.7 and 4.3.13 (as 4.3.7).
    if matches!(
        i,
        Interface::ShareQueryCertInfoByQRcode
            | Interface::ShareQueryCertInfoByHo
            | Interface::ShengShiStateInfo
    ) {
        v.extend(op);
    }
    v.push((p::ACCESS_TOKEN, false));
    v
}

/// A share request body: every value a string or a number (API.md §1). `required` is stated in
/// the description rather than the schema: a missing parameter is a business answer (`12`,
/// HTTP 200), not a transport fault.
pub(super) fn request_schema(i: Interface) -> Value {
    let props: Map<String, Value> = parameters(i)
        .into_iter()
        .map(|(n, required)| {
            let mut s = json!({ "type": ["string", "number"] });
            if required {
                s["description"] = json!("required (answers 12 when missing or blank)");
            }
            (n.to_owned(), s)
        })
        .collect();
    json!({ "type": "object", "properties": props })
}

pub(super) fn failure() -> Value {
    json!({
        "type": "object",
        "required": ["head", "data"],
        "properties": { "head": r("Head"), "data": string() },
        "description": "A failure: head.status is the return code, data the reason"
    })
}

pub(super) fn answer(i: Interface) -> Value {
    json!({ "oneOf": [
        { "type": "object", "required": ["head", "data"], "properties": { "head": r("Head"), "data": data_schema(i) } },
        r("ShareFailure"),
    ]})
}

/// Component names of an interface's request and answer schemas.
pub(super) fn component_names(i: Interface) -> (String, String) {
    let base = match i {
        Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile => "ShareVerifyCertInfo",
        other => other.name(),
    };
    (format!("{base}Request"), format!("{base}Answer"))
}

pub(super) fn example(i: Interface) -> Option<Value> {
    // The source documents' examples (API.md §6), with this project's decisions applied.
    Some(match i {
        Interface::ShareQueryCertInfo => json!({
            "head": { "status": "0", "message": "接口调用成功", "type": "2" },
            "data": { "total": 1, "dataList": [{
                "certificateHolder": "张三", "certificateValidateStart": "2013年09月23日",
                "certificateValidateEnd": "长期", "issueDept": "枣庄市公安局",
                "certificateID": "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8",
                "certificateName": "中华人民共和国居民身份证", "certificateHolderType": "111",
                "certificateNumber": "370402199001011234", "issueDeptCode": "11370000004504927A",
                "certificateHolderCode": "370402199001011234", "detail": [],
                "issueDate": "2013年09月23日", "digitalSign": "",
                "certificateType": "中华人民共和国居民身份证", "certificateState": "正常有效"
            }]}
        }),
        Interface::ShareDownloadUrl => json!({
            "head": { "status": "0", "message": "接口调用成功", "type": "2" },
            "data": { "total": 1, "dataList": [{
                "issueDept": "枣庄市公安局", "certificateNumber": "370402199001011234",
                "fileUrl": "https://zzlicense.example.gov.cn/license-api-release/elssp/v1/download_national?fileId=0f3c9e1a2b&fileFormat=OFD",
                "issueDate": "2013年09月23日", "fileFormat": "OFD", "certificateType": "中华人民共和国居民身份证"
            }]}
        }),
        Interface::ShareVerifyCertInfo => json!({
            "head": { "status": "0", "message": "接口调用成功！", "type": "1" },
            "data": { "total": 1, "dataList": [{ "result": 0, "message": "信息正确且有效" }] }
        }),
        Interface::ShengShiStateInfo => json!({
            "head": { "status": "0", "message": "接口调用成功！", "type": "1", "shengIsExists": "1", "shiIsExists": "1" },
            "data": { "total": 1, "dataList": [{ "name": "张三", "cert_identifier": "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8", "fileNumber": "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8" }] }
        }),
        Interface::InsertToProvince => json!({
            "head": { "status": "0", "message": "接口调用成功！", "type": "1" },
            "data": { "total": 1, "dataList": [{ "certIdentifier": "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8" }] }
        }),
        _ => return None,
    })
}

pub(super) fn failure_example() -> Value {
    json!({
        "head": { "status": ReturnCode::NotProvided.code().to_string(), "message": ReturnCode::NotProvided.message() },
        "data": ReturnCode::NotProvided.message()
    })
}

pub(super) fn share_operation(i: Interface, path_name: &str, method: &str) -> Value {
    let (request_name, answer_name) = component_names(i);
    let mut ok = json!({ "schema": r(&answer_name) });
    let mut examples = Map::new();
    if let Some(e) = example(i) {
        examples.insert("success".into(), json!({ "value": e }));
    }
    examples.insert("failure".into(), json!({ "value": failure_example() }));
    ok["examples"] = Value::Object(examples);
    let transport = |desc: &str| json!({ "description": desc, "content": { "application/json": { "schema": r("ShareFailure") } } });
    let mut op = json!({
        "tags": ["share"],
        "operationId": format!("{method}{path_name}"),
        "summary": format!("{path_name} ({})", i.label()),
        "description": "Business outcomes answer HTTP 200 with head.status (API.md §1, §4).",
        "security": [{ "bearer": [] }, {}],
        "responses": {
            "200": { "description": "The envelope: success or a business failure", "content": { "application/json": ok } },
            "400": transport("Malformed JSON or form body (status 24)"),
            "413": { "description": "Body too large" },
            "415": transport("Unsupported body type (status 24)")
        }
    });
    let request = r(&request_name);
    if method == "post" {
        op["requestBody"] = json!({ "content": {
            "application/x-www-form-urlencoded": { "schema": request },
            "application/json": { "schema": request }
        }});
    } else {
        let params: Vec<Value> = request_schema(i)["properties"]
            .as_object()
            .map(|m| {
                m.keys()
                    .map(|k| json!({ "name": k, "in": "query", "required": false, "schema": { "type": "string" } }))
                    .collect()
            })
            .unwrap_or_default();
        op["parameters"] = Value::Array(params);
    }
    op
}

pub(super) fn operation(v: Value) -> Operation {
    serde_json::from_value(v).expect("a valid operation literal")
}

pub(super) fn add(doc: &mut utoipa::openapi::OpenApi, path: &str, method: HttpMethod, op: Value) {
    let item = PathItem::new(method, operation(op));
    match doc.paths.paths.get_mut(path) {
        Some(existing) => existing.merge_operations(item),
        None => {
            doc.paths.paths.insert(path.to_owned(), item);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use license_core::params::Named;
    use license_core::service::*;

    use super::*;

    /// The parameters an interface's request reads, as its `request!` declares them.
    fn declared(i: Interface) -> BTreeSet<&'static str> {
        let mut names = BTreeSet::new();
        let mut out = |n| {
            names.insert(n);
        };
        match i {
            Interface::ShareDownloadUrl => DownloadUrlRequest::names(&mut out),
            Interface::ShareQueryCertInfo => QueryCertInfoRequest::names(&mut out),
            // One path, two variants: the document lists both.
            Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile => {
                VerifyInfoRequest::names(&mut out);
                VerifyFileRequest::names(&mut out);
            }
            Interface::ShareQueryCertInfoByQRcode => QrQueryRequest::names(&mut out),
            Interface::ShareQueryCertInfoByHo
            | Interface::ShareDownloadUrlsByHolderCode
            | Interface::ShengShiStateInfo => HolderQueryRequest::names(&mut out),
            Interface::ShareDownloadFile => DownloadFileRequest::names(&mut out),
            Interface::InsertToProvince
            | Interface::UpdateToProvince
            | Interface::DeleteToProvince => SyncRequest::names(&mut out),
            Interface::DownloadPdfFile => PdfRequest::names(&mut out),
            Interface::Token
            | Interface::Revoke
            | Interface::DownloadLink
            | Interface::VerifyPage
            | Interface::Admin
            | Interface::Collect => {}
        }
        names
    }

    /// The document lists exactly what each interface's request reads (plus `access_token`),
    /// except the call context the verification interfaces do not use (API.md §4.3.4–4.3.5),
    /// `certIdentifier`, which only `updateToProvince` takes, and the operator details
    /// `ShareDownloadUrlsByHolderCode` reads with the holder query it shares but API.md §4.3.8
    /// does not list: a parameter added to a `request!` and not documented fails here.
    #[test]
    fn the_documented_parameters_are_the_declared_ones() {
        for i in Interface::ALL {
            let documented: BTreeSet<&str> = parameters(i)
                .into_iter()
                .map(|(n, _)| n)
                .filter(|n| *n != p::ACCESS_TOKEN)
                .collect();
            let mut expected = declared(i);
            if matches!(
                i,
                Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile
            ) {
                for unused in [
                    p::CERTIFICATE_SYSTEM_NAME,
                    p::CERTIFICATE_CALL_CATEGORY,
                    p::CERTIFICATE_MATTER_NAME,
                    p::CERTIFICATE_EVENT_CODE,
                    p::CERTIFICATE_COPY_CAUSE,
                ] {
                    expected.remove(unused);
                }
            }
            if matches!(i, Interface::InsertToProvince | Interface::DeleteToProvince) {
                expected.remove(p::CERT_IDENTIFIER);
            }
            if i == Interface::ShareDownloadUrlsByHolderCode {
                let mut op = Vec::new();
                license_core::context::OperatorDetails::names(&mut |n| op.push(n));
                for n in op {
                    expected.remove(n);
                }
            }
            assert_eq!(documented, expected, "{}", i.name());
        }
    }
}
