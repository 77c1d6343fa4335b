//! Integration tests: one binary, the real server on port 0, real databases.

mod helpers;

mod access_matrix;
mod account;
mod accounts;
mod admin;
mod audit;
mod audit_seal;
mod backup;
mod cli;
mod conversations;
mod credentials;
mod documents;
mod email;
mod exhaustion;
mod exposure;
mod faults;
mod groups;
mod observability;
mod ops;
mod pages;
mod password_reset;
mod quotas;
mod rest;
mod scale_out;
mod security;
mod seed;
mod share_links;
mod site;
mod spaces;
mod sso;
mod throttling;
mod two_factor;
mod upload;
mod xss;
mod your_data;
