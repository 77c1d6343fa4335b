pub mod account;
pub mod conversations;
pub mod documents;
pub mod home;
pub mod login;
pub mod not_found;
pub mod register;
pub mod setup;
