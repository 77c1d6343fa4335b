//! Single sign-on as the pages show it: which ways in are open, how a linked
//! provider account looks, and what each refusal means to the person.

use serde::{Deserialize, Serialize};

/// The ways in the login page offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOptions {
    /// The password form is shown.
    pub local: bool,
    /// Only administrators may use it (everyone else signs in through the provider).
    pub local_admins_only: bool,
    /// The provider's name for the button ("Sign in with …"), when it is open.
    pub provider: Option<String>,
    /// Self-service registration is open.
    pub registration_open: bool,
}

/// The person's account at the provider, on their account page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoStatus {
    /// The provider's name ("Acme").
    pub provider: String,
    /// When the account was linked, if it is.
    pub linked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The account has a password of its own (so unlinking leaves a way in).
    pub has_password: bool,
    /// This session was signed in through the provider.
    pub this_session: bool,
}

/// A person's link to the provider, as an administrator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSso {
    pub provider: String,
    /// The provider's subject (`sub`) of the linked account, if linked.
    pub subject: Option<String>,
    pub linked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What went wrong, for the person, by the reason recorded in the audit log;
/// `provider` is the provider's display name.
pub fn failure_message(reason: &str, provider: &str) -> String {
    match reason {
        "provider_unreachable" => format!(
            "Motto could not reach {provider}. It may be down or unreachable from this server; \
             try again in a minute, and tell your administrator if it keeps failing."
        ),
        "access_denied" => format!(
            "{provider} did not let you in: the sign-in was cancelled or consent was refused. \
             Try again when you are ready."
        ),
        "expired_state" => "This sign-in took too long, or was started in another window or \
             browser. Start again from this page."
            .to_string(),
        "code_rejected" => format!(
            "{provider} would not complete this sign-in (its code was used already or has \
             expired). Start again."
        ),
        "token_expired" | "token_from_future" => format!(
            "{provider}'s answer was out of date when it arrived. This happens when the clock \
             of this server or of {provider} is wrong; try again, and tell your administrator \
             if it keeps happening."
        ),
        "invalid_token" => format!(
            "{provider}'s answer could not be verified, so you were not signed in. Try again; \
             your administrator can find the details in the audit log."
        ),
        "disabled" => {
            "Your Motto account is disabled. Ask an administrator if you think this is a mistake."
                .to_string()
        }
        "no_account" => format!(
            "There is no Motto account for your {provider} account, and this server does not \
             create them on first sign-in. Ask an administrator to add you."
        ),
        "email_in_use" => format!(
            "A Motto account already uses the email address of your {provider} account. Log in \
             to it with its password, then link {provider} from your account page (or ask an \
             administrator)."
        ),
        "missing_email" => format!(
            "{provider} did not share your email address, which Motto needs for a new account. \
             Ask your administrator to allow the email scope."
        ),
        "already_linked" => {
            format!("That {provider} account is already linked to another Motto account.")
        }
        "other_identity_linked" => format!(
            "Your Motto account is already linked to another {provider} account. Unlink it first."
        ),
        "client_rejected" => format!(
            "{provider} did not accept Motto's own credentials, so nobody can sign in this way \
             until an administrator fixes Motto's client settings. Tell your administrator."
        ),
        "not_enabled" => "Single sign-on is not set up on this server.".to_string(),
        "local_disabled" => {
            format!("Password login is turned off on this server: sign in with {provider}.")
        }
        _ => format!(
            "Signing in with {provider} failed. Try again, and tell your administrator if it \
             keeps failing."
        ),
    }
}
