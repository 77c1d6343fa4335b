//! A readable digest of the OpenAPI document for the docs page. It walks the JSON
//! the spec serialises to (the same bytes `/api/v1/openapi.json` serves), so the
//! page and the spec cannot disagree.

use crate::domain::api_docs::{
    ApiField, ApiOperation, ApiReference, ApiResponse, ApiSchema, ApiTag,
};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
const SCHEMA_REF: &str = "#/components/schemas/";

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The name a `$ref` points at, when it points into our schemas.
fn ref_name(schema: &Value) -> Option<String> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(SCHEMA_REF))
        .map(str::to_string)
}

/// A readable type for a schema, and the schema of ours it names (for a link).
fn kind(schema: &Value) -> (String, Option<String>) {
    if let Some(name) = ref_name(schema) {
        return (name.clone(), Some(name));
    }
    for (key, joiner) in [("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")] {
        if let Some(items) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<(String, Option<String>)> = items.iter().map(kind).collect();
            let nullable = parts.iter().any(|(k, _)| k == "null");
            let real: Vec<&(String, Option<String>)> =
                parts.iter().filter(|(k, _)| k != "null").collect();
            let link = real.iter().find_map(|(_, l)| l.clone());
            let mut name = real
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(joiner);
            if nullable {
                name.push_str(" or null");
            }
            return (name, link);
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("\"{s}\""),
                other => other.to_string(),
            })
            .collect();
        return (names.join(" | "), None);
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let nullable = types.contains(&"null");
    let base = types
        .iter()
        .find(|t| **t != "null")
        .copied()
        .unwrap_or("any");
    let (mut name, link) = match base {
        "array" => {
            let (item, link) = schema
                .get("items")
                .map(kind)
                .unwrap_or(("any".into(), None));
            (format!("array of {item}"), link)
        }
        "string" => match schema.get("format").and_then(Value::as_str) {
            Some(f) => (format!("string ({f})"), None),
            None => ("string".into(), None),
        },
        other => (other.to_string(), None),
    };
    if nullable {
        name.push_str(" or null");
    }
    (name, link)
}

fn properties(schema: &Value, schemas: &Value, out: &mut Vec<ApiField>) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let (kind, link) = kind(prop);
            out.push(ApiField {
                name: name.clone(),
                location: String::new(),
                kind,
                link,
                required: required.contains(&name.as_str()),
                description: text(prop, "description"),
            });
        }
    }
    // Flattened structs are an `allOf` of a reference and the struct's own fields.
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            match ref_name(part) {
                Some(name) => {
                    if let Some(target) = schemas.get(&name) {
                        properties(target, schemas, out);
                    }
                }
                None => properties(part, schemas, out),
            }
        }
    }
}

fn schema_kind(schema: &Value) -> String {
    if schema.get("properties").is_some() || schema.get("allOf").is_some() {
        "object".into()
    } else {
        kind(schema).0
    }
}

fn operation(method: &str, path: &str, op: &Value, global_security: &Value) -> ApiOperation {
    let params = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let (kind, link) = p.get("schema").map(kind).unwrap_or(("any".into(), None));
                    ApiField {
                        name: text(p, "name"),
                        location: text(p, "in"),
                        kind,
                        link,
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        description: text(p, "description"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let json_schema = |v: &Value| {
        v.pointer("/content/application~1json/schema")
            .map(|s| kind(s).0)
    };
    let request = op.get("requestBody").and_then(json_schema);
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| ApiResponse {
                    status: status.clone(),
                    description: text(r, "description"),
                    schema: json_schema(r),
                })
                .collect()
        })
        .unwrap_or_default();
    // An operation's own `security` wins over the document's; an empty
    // requirement (`{}`) means no credential.
    let security = op.get("security").unwrap_or(global_security);
    let scopes = security.as_array().and_then(|reqs| {
        let mut scopes = Vec::new();
        let mut any = false;
        for req in reqs {
            if let Some(obj) = req.as_object() {
                for list in obj.values() {
                    any = true;
                    scopes.extend(
                        list.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(str::to_string),
                    );
                }
            }
        }
        any.then_some(scopes)
    });
    ApiOperation {
        anchor: format!(
            "{method}-{}",
            path.trim_matches('/').replace(['/', '{', '}'], "-")
        )
        .trim_end_matches('-')
        .replace("--", "-"),
        method: method.to_uppercase(),
        path: path.to_string(),
        summary: text(op, "summary"),
        description: text(op, "description"),
        scopes,
        params,
        request,
        responses,
    }
}

/// The digest of a serialised OpenAPI document.
pub fn reference(spec: &Value) -> ApiReference {
    let empty = Value::Null;
    let schemas = spec.pointer("/components/schemas").unwrap_or(&empty);
    let global_security = spec.get("security").unwrap_or(&empty);
    let mut tags: Vec<ApiTag> = spec
        .get("tags")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| ApiTag {
                    name: text(t, "name"),
                    description: text(t, "description"),
                    operations: vec![],
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let tag = op
                    .pointer("/tags/0")
                    .and_then(Value::as_str)
                    .unwrap_or("other")
                    .to_string();
                let operation = operation(method, path, op, global_security);
                match tags.iter_mut().find(|t| t.name == tag) {
                    Some(t) => t.operations.push(operation),
                    None => tags.push(ApiTag {
                        name: tag,
                        description: String::new(),
                        operations: vec![operation],
                    }),
                }
            }
        }
    }
    tags.retain(|t| !t.operations.is_empty());
    let schemas = schemas
        .as_object()
        .map(|all| {
            all.iter()
                .map(|(name, schema)| {
                    let mut fields = Vec::new();
                    properties(schema, schemas, &mut fields);
                    ApiSchema {
                        name: name.clone(),
                        description: text(schema, "description"),
                        kind: schema_kind(schema),
                        fields,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    ApiReference {
        title: spec
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("API")
            .to_string(),
        version: spec
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        description: spec
            .pointer("/info/description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        tags,
        schemas,
    }
}
