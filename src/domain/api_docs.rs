//! The REST API's reference as the docs page shows it: a readable digest of the
//! OpenAPI document the server generates from its handlers.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub version: String,
    /// Markdown-ish plain text from the spec's `info.description`.
    pub description: String,
    pub tags: Vec<ApiTag>,
    pub schemas: Vec<ApiSchema>,
}

/// A group of operations (documents, conversations, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTag {
    pub name: String,
    pub description: String,
    pub operations: Vec<ApiOperation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiOperation {
    /// Anchor on the page, e.g. `get-api-v1-documents`.
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// `None`: no credential needed; `Some(scopes)`: a bearer credential with them.
    pub scopes: Option<Vec<String>>,
    pub params: Vec<ApiField>,
    /// The request body's schema, when there is one.
    pub request: Option<String>,
    pub responses: Vec<ApiResponse>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResponse {
    pub status: String,
    pub description: String,
    pub schema: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiSchema {
    pub name: String,
    pub description: String,
    /// "object", or what else it is ("one of ...", "`a` | `b`").
    pub kind: String,
    pub fields: Vec<ApiField>,
}

/// A parameter or a property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiField {
    pub name: String,
    /// Where a parameter goes (`path`, `query`); empty for properties.
    pub location: String,
    /// A readable type: `integer`, `string (date-time)`, `array of DocumentSummary`, ...
    pub kind: String,
    /// The schema the type names, for a link, when it is one of ours.
    pub link: Option<String>,
    pub required: bool,
    pub description: String,
}
