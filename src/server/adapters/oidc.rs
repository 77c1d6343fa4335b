//! The OpenID Provider people sign in through, as Motto talks to it.
//!
//! The authorization code flow with PKCE (S256). The flow's `state`, `nonce` and
//! PKCE verifier never leave the server except sealed (XChaCha20-Poly1305 under a
//! key derived from SECRET_KEY) in a short-lived cookie of this browser, so a
//! callback completes only in the browser that started it, once. The ID token is
//! checked by the `openidconnect` crate: issuer, audience, expiry, nonce, and a
//! signature by a key the provider publishes (asymmetric algorithms only; an
//! unknown key id fetches the provider's keys again once, which is how key
//! rotation looks from here). What Motto does with the person it names is
//! `services::sso`'s.

use crate::server::{
    config::{ClientAuth, OidcSettings},
    crypto::{derive_key, seal, unseal},
};
use chrono::{DateTime, Utc};
use openidconnect::{
    core::{
        CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreGenderClaim,
        CoreJwsSigningAlgorithm, CoreTokenResponse,
    },
    AccessToken, AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::RwLock;

pub const START_PATH: &str = "/auth/oidc/start";
pub const LINK_PATH: &str = "/auth/oidc/link";
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";
pub const LOGOUT_PATH: &str = "/auth/oidc/logout";
/// The sealed flow, scoped to the paths above.
pub const FLOW_COOKIE: &str = "motto_oidc_flow";
/// A sign-in at the provider must come back within this.
pub const FLOW_TTL_SECS: i64 = 600;
/// Discovery and keys are trusted this long before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// An ID token issued further in the future than this is refused (clock skew).
const MAX_FUTURE_SKEW_SECS: i64 = 120;
/// Signature algorithms accepted for ID tokens: asymmetric only (no `none`, no
/// HMAC with the client secret).
const ALGORITHMS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Discovered {
    client: Client,
    end_session: Option<EndSessionUrl>,
    fetched: Instant,
}

/// The configured provider, its discovered metadata and keys, and the HTTP
/// client that talks to it (no redirects followed, bounded waits).
pub struct Provider {
    settings: OidcSettings,
    redirect: RedirectUrl,
    post_logout: String,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
    flow_key: Vec<u8>,
}

/// Why a sign-in failed: `reason` goes to the audit log and picks the message
/// the person sees; `detail` (technical, never a secret) goes to the log only.
#[derive(Debug)]
pub struct Failure {
    pub reason: &'static str,
    pub detail: String,
    /// The account concerned, when one was found.
    pub user: Option<i64>,
}

impl Failure {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Failure {
        let mut detail: String = detail.into();
        detail.truncate(300);
        Failure {
            reason,
            detail,
            user: None,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Failure {
        Failure::new("internal", e.to_string())
    }
}

/// What the flow is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Login,
    /// Link the provider account to the signed-in Motto account `user`.
    Link {
        user: i64,
    },
}

/// A flow in progress, sealed into the browser's cookie.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    purpose: Purpose,
    started: i64,
}

/// The person as the provider vouches for them.
#[derive(Debug)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    /// Values of the groups claim; `None` when no groups claim is configured.
    pub groups: Option<Vec<String>>,
}

/// A finished flow: who, and for what.
pub struct Finished {
    pub claims: Claims,
    pub purpose: Purpose,
    pub next: String,
}

/// Every claim the provider sent, kept to read the configured groups claim.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    all: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

impl Provider {
    /// The provider of these settings, or `None` when single sign-on is off.
    pub fn from_settings(settings: &crate::server::config::Settings) -> Option<Arc<Provider>> {
        let oidc = settings.oidc.clone()?;
        let base = settings.public_url.as_str().trim_end_matches('/');
        let redirect = RedirectUrl::new(format!("{base}{CALLBACK_PATH}")).ok()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .ok()?;
        Some(Arc::new(Provider {
            settings: oidc,
            redirect,
            post_logout: format!("{base}/login"),
            http,
            discovered: RwLock::new(None),
            flow_key: derive_key(settings.secret_key_bytes(), b"motto/oidc-flow/v1"),
        }))
    }

    pub fn display_name(&self) -> &str {
        &self.settings.display_name
    }

    /// The provider's metadata and keys: cached, or fetched now when `refresh`
    /// or when the cache is older than an hour.
    async fn discovered(&self, refresh: bool) -> Result<Arc<Discovered>, Failure> {
        if !refresh {
            if let Some(d) = self.discovered.read().await.as_ref() {
                if d.fetched.elapsed() < METADATA_TTL {
                    return Ok(d.clone());
                }
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| Failure::new("provider_error", format!("issuer URL: {e}")))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                let reason = match &e {
                    openidconnect::DiscoveryError::Request(_) => "provider_unreachable",
                    _ => "provider_error",
                };
                Failure::new(reason, format!("discovery: {}", error_chain(&e)))
            })?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let secret = match &self.settings.client_auth {
            ClientAuth::Secret(s) => Some(ClientSecret::new(s.expose_secret().to_string())),
            ClientAuth::PrivateKeyJwt { .. } => None,
        };
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            secret,
        )
        .set_redirect_uri(self.redirect.clone());
        let d = Arc::new(Discovered {
            client,
            end_session,
            fetched: Instant::now(),
        });
        *self.discovered.write().await = Some(d.clone());
        Ok(d)
    }

    /// Begin a flow: the provider's authorization URL to send the browser to,
    /// and the sealed value for the flow cookie.
    pub async fn start(&self, purpose: Purpose, next: &str) -> Result<(String, String), Failure> {
        let d = self.discovered(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = d.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next: crate::domain::user::safe_next(Some(next)),
            purpose,
            started: Utc::now().timestamp(),
        };
        let json = serde_json::to_vec(&pending).map_err(Failure::internal)?;
        let sealed =
            seal(&self.flow_key, FLOW_COOKIE.as_bytes(), &json).map_err(Failure::internal)?;
        Ok((
            url.to_string(),
            data_encoding::BASE64URL_NOPAD.encode(&sealed),
        ))
    }

    /// The flow this browser started, from its cookie: `None` when it is missing,
    /// altered or too old.
    fn pending(&self, cookie: Option<&str>) -> Option<Pending> {
        let sealed = data_encoding::BASE64URL_NOPAD
            .decode(cookie?.as_bytes())
            .ok()?;
        let json = unseal(&self.flow_key, FLOW_COOKIE.as_bytes(), &sealed).ok()?;
        let pending: Pending = serde_json::from_slice(&json).ok()?;
        let age = Utc::now().timestamp() - pending.started;
        (0..FLOW_TTL_SECS).contains(&age).then_some(pending)
    }

    /// The purpose a (possibly failed) callback was for, to send the person back
    /// to the right page.
    pub fn purpose_of(&self, cookie: Option<&str>) -> Option<Purpose> {
        self.pending(cookie).map(|p| p.purpose)
    }

    /// Finish a flow at the callback: check it belongs to this browser, redeem
    /// the code (with the PKCE verifier), verify the ID token, read the claims.
    pub async fn finish(
        &self,
        cookie: Option<&str>,
        callback: &Callback,
    ) -> Result<Finished, Failure> {
        let pending = self.pending(cookie).ok_or_else(|| {
            Failure::new(
                "expired_state",
                "no flow cookie, or it expired or was altered",
            )
        })?;
        let state_matches = callback.state.as_deref().is_some_and(|s| {
            use subtle::ConstantTimeEq;
            s.as_bytes().ct_eq(pending.state.as_bytes()).into()
        });
        if !state_matches {
            return Err(Failure::new(
                "expired_state",
                "state does not match this browser's flow",
            ));
        }
        if let Some(error) = &callback.error {
            let reason = if error == "access_denied" {
                "access_denied"
            } else {
                "provider_error"
            };
            let detail = format!(
                "{error}: {}",
                callback.error_description.as_deref().unwrap_or("")
            );
            return Err(Failure::new(reason, detail));
        }
        let code = callback
            .code
            .clone()
            .ok_or_else(|| Failure::new("provider_error", "callback without a code"))?;
        let d = self.discovered(false).await?;
        let mut request = d
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| Failure::new("provider_error", e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()));
        if let Some(assertion) = self.client_assertion(&d)? {
            request = request
                .add_extra_param(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .add_extra_param("client_assertion", assertion);
        }
        let token: CoreTokenResponse = request.request_async(&self.http).await.map_err(|e| {
            let reason = match &e {
                openidconnect::RequestTokenError::ServerResponse(r)
                    if *r.error() == CoreErrorResponseType::InvalidClient =>
                {
                    "client_rejected"
                }
                openidconnect::RequestTokenError::ServerResponse(_) => "code_rejected",
                openidconnect::RequestTokenError::Request(_) => "provider_unreachable",
                _ => "provider_error",
            };
            Failure::new(reason, format!("token request: {}", error_chain(&e)))
        })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| Failure::new("invalid_token", "the token response has no ID token"))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let verify = |d: &Discovered| -> Result<(String, String), ClaimsVerificationError> {
            let verifier = d
                .client
                .id_token_verifier()
                .set_allowed_algs(ALGORITHMS)
                .set_issue_time_verifier_fn(|iat: DateTime<Utc>| {
                    if iat > Utc::now() + chrono::Duration::seconds(MAX_FUTURE_SKEW_SECS) {
                        Err(format!("issued in the future ({iat})"))
                    } else {
                        Ok(())
                    }
                });
            let claims = id_token.claims(&verifier, &nonce)?;
            Ok((claims.issuer().to_string(), claims.subject().to_string()))
        };
        // A key the cached set does not know: the provider may have rotated its
        // keys, so fetch them again (once) before refusing.
        let verified = match verify(&d) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => verify(&*self.discovered(true).await?),
            other => other,
        };
        let (issuer, subject) = verified.map_err(|e| {
            let reason = match &e {
                ClaimsVerificationError::Expired(_) => "token_expired",
                ClaimsVerificationError::Other(m) if m.contains("issued in the future") => {
                    "token_from_future"
                }
                _ => "invalid_token",
            };
            Failure::new(reason, format!("ID token: {}", error_chain(&e)))
        })?;
        // The token's claims, verified above; then the UserInfo endpoint's, for
        // the subject the token names.
        let mut all = jwt_payload(&id_token.to_string()).unwrap_or_default();
        if let Ok(request) = d.client.user_info(
            AccessToken::new(token.access_token().secret().clone()),
            Some(SubjectIdentifier::new(subject.clone())),
        ) {
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> =
                request.request_async(&self.http).await.map_err(|e| {
                    Failure::new("provider_error", format!("userinfo: {}", error_chain(&e)))
                })?;
            if let Ok(Value::Object(extra)) = serde_json::to_value(&info) {
                all.extend(extra);
            }
        }
        let text = |name: &str| {
            all.get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let groups = self.settings.groups_claim.as_ref().map(|claim| {
            let mut groups: Vec<String> = match all.get(claim) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                Some(Value::String(one)) => one.split([' ', ',']).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            groups.retain(|g| !g.trim().is_empty() && g.len() <= 200);
            groups.sort();
            groups.dedup();
            groups
        });
        let claims = Claims {
            issuer,
            subject,
            email: text("email"),
            email_verified: all.get("email_verified").and_then(Value::as_bool) == Some(true),
            preferred_username: text("preferred_username"),
            name: text("name"),
            groups,
        };
        Ok(Finished {
            claims,
            purpose: pending.purpose,
            next: pending.next,
        })
    }

    /// With `private_key_jwt`, the client assertion for one token request
    /// (RFC 7523: issuer and subject the client id, audience the token
    /// endpoint, a minute to live, a random id); `None` with a client secret.
    fn client_assertion(&self, d: &Discovered) -> Result<Option<String>, Failure> {
        let ClientAuth::PrivateKeyJwt { pem, alg, kid } = &self.settings.client_auth else {
            return Ok(None);
        };
        let token_url = d
            .client
            .token_uri()
            .ok_or_else(|| Failure::new("provider_error", "the provider has no token endpoint"))?;
        let (algorithm, key) = match alg.as_str() {
            "ES256" => (
                jsonwebtoken::Algorithm::ES256,
                jsonwebtoken::EncodingKey::from_ec_pem(pem.expose_secret().as_bytes()),
            ),
            "PS256" => (
                jsonwebtoken::Algorithm::PS256,
                jsonwebtoken::EncodingKey::from_rsa_pem(pem.expose_secret().as_bytes()),
            ),
            _ => (
                jsonwebtoken::Algorithm::RS256,
                jsonwebtoken::EncodingKey::from_rsa_pem(pem.expose_secret().as_bytes()),
            ),
        };
        let key = key.map_err(Failure::internal)?;
        let mut header = jsonwebtoken::Header::new(algorithm);
        header.kid = kid.clone();
        let now = Utc::now().timestamp();
        let claims = serde_json::json!({
            "iss": self.settings.client_id,
            "sub": self.settings.client_id,
            "aud": token_url.as_str(),
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": now,
            "exp": now + 60,
        });
        jsonwebtoken::encode(&header, &claims, &key)
            .map(Some)
            .map_err(Failure::internal)
    }

    /// Where to send a person who chose to sign out of the provider too
    /// (RP-initiated logout), if the provider offers it.
    pub async fn logout_url(&self) -> Option<String> {
        let d = self.discovered(false).await.ok()?;
        let end = d.end_session.clone()?;
        let mut request =
            LogoutRequest::from(end).set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Ok(url) = PostLogoutRedirectUrl::new(self.post_logout.clone()) {
            request = request.set_post_logout_redirect_uri(url);
        }
        Some(request.http_get_url().to_string())
    }
}

/// The query of the callback.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The claims of a compact JWT, read without checking (the caller has).
fn jwt_payload(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(payload.trim_end_matches('=').as_bytes())
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}
