//! Schemas of validated text fields, built from the rules in `domain::text` so
//! the OpenAPI document says exactly what the services accept. Used with
//! `#[schema(schema_with = ...)]` on request fields.

use crate::domain::text::{ConversationTitle, DocumentTitle, MessageContent, Shape};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

fn text(shape: &Shape) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(shape.min_length)
        .max_length(Some(shape.max_length))
        .pattern(Some(shape.pattern))
        .description(Some(shape.description))
        .build()
}

pub(super) fn document_title() -> Object {
    text(&DocumentTitle::SHAPE)
}

pub(super) fn conversation_title() -> Object {
    text(&ConversationTitle::SHAPE)
}

pub(super) fn message_content() -> Object {
    text(&MessageContent::SHAPE)
}
