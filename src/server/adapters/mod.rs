//! Adapters to the world outside Motto's rules: they turn requests into mail,
//! prompts into a language model's answers, Markdown into safe HTML, sign-ins
//! into an OpenID Provider's verified claims, audit checkpoints into files kept
//! outside the database, audit events into syslog messages and signed HTTPS
//! posts. None of them
//! touches the shared state or the database; services call them.

pub mod audit_sinks;
pub mod checkpoints;
pub mod llm;
pub mod mail;
pub mod markdown;
pub mod oidc;
