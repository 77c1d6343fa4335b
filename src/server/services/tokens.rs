//! Access and refresh tokens for the REST API (ASVS 9.1.1-9.2.3).
//!
//! - Access tokens are JWTs signed with HS256 by a key derived from `SECRET_KEY`
//!   (HMAC-SHA256 of a fixed label: never the secret itself). Verification pins the
//!   algorithm and checks the signature, `exp`, `aud`, `iss` and our `typ`; the
//!   token also carries the account's session epoch, so anything that ends the
//!   person's sessions (disabling, "end all sessions") ends their tokens too.
//! - Refresh tokens are opaque random strings (`mottor_...`), stored as SHA-256,
//!   valid 7 days, single use: each refresh returns a new pair in the same family.
//!   Presenting a used one again means it was stolen: the whole family is revoked.

use super::accounts;
use crate::{
    error::AppError,
    server::{
        config::Settings,
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            tokens as db, users,
        },
        state::AppState,
    },
};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const ACCESS_SECS: i64 = 3600;
pub const REFRESH_DAYS: i64 = 7;
pub const AUDIENCE: &str = "motto-api";
const TYP_ACCESS: &str = "access";
const REFRESH_PREFIX: &str = "mottor_";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
    pub epoch: i64,
    pub jti: String,
}

/// The signing key: derived from `SECRET_KEY`, so no second secret to manage.
pub fn signing_key(settings: &Settings) -> Vec<u8> {
    crate::server::crypto::derive_key(settings.secret_key_bytes(), b"motto/jwt-signing/v1")
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer ...`, valid for `expires_in` seconds.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    /// Single use: exchange it at `/api/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    pub refresh_expires_in: i64,
}

fn issuer(state: &AppState) -> String {
    state.settings.public_origin()
}

fn access_token(state: &AppState, user: i64, epoch: i64) -> Result<String, anyhow::Error> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: user.to_string(),
        aud: AUDIENCE.into(),
        iss: issuer(state),
        iat: now,
        exp: now + ACCESS_SECS,
        typ: TYP_ACCESS.into(),
        epoch,
        jti: random_token()[..16].to_string(),
    };
    let key = EncodingKey::from_secret(&signing_key(&state.settings));
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &key,
    )?)
}

/// A new pair; the refresh token joins `family` (a new family when None) and never
/// outlives the family's last day (`family_ends`).
async fn issue(
    state: &AppState,
    user: i64,
    epoch: i64,
    family: Option<(String, DateTime<Utc>)>,
) -> Result<TokenPair, AppError> {
    let (family, family_ends) = match family {
        Some((f, ends)) => (Some(f), ends),
        None => (
            None,
            Utc::now() + chrono::Duration::days(state.settings.refresh_family_max_days.into()),
        ),
    };
    let expires_at = (Utc::now() + chrono::Duration::days(REFRESH_DAYS)).min(family_ends);
    let access = access_token(state, user, epoch)?;
    let refresh = format!("{REFRESH_PREFIX}{}", random_token());
    let family = family.unwrap_or_else(|| random_token()[..24].to_string());
    db::insert(
        &state.db,
        &db::NewRefresh {
            user_id: user,
            family: &family,
            token_hash: &hash(&refresh),
            epoch,
            expires_at,
        },
    )
    .await?;
    Ok(TokenPair {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: ACCESS_SECS,
        refresh_token: refresh,
        refresh_expires_in: (expires_at - Utc::now()).num_seconds().max(0),
    })
}

/// Username (or email) and password for a pair of tokens. Same checks, throttling
/// and audit as a login in the browser.
pub async fn exchange(
    state: &AppState,
    login: &str,
    password: &SecretString,
    otp: Option<&str>,
    ctx: &AuditContext,
) -> Result<TokenPair, AppError> {
    let user = accounts::login(state, login, password, ctx).await?;
    if user.two_factor {
        match otp.filter(|c| !c.trim().is_empty()) {
            Some(code) => accounts::second_factor(state, &user, code, ctx).await?,
            None => {
                return Err(AppError::field(
                    "otp",
                    "This account uses two-factor authentication: send the current code from the app as otp.",
                ))
            }
        }
    } else if super::two_factor::policy(state).await.requires(user.role()) {
        return Err(AppError::form(
            "Set up two-factor authentication in Motto first: an administrator requires it for your account.",
        ));
    }
    let pair = issue(state, user.id, user.session_epoch, None).await?;
    let mut ctx = ctx.clone();
    ctx.actor_user_id = Some(user.id);
    audit::record_now(
        &state.db,
        &ctx,
        NewEvent::new("auth.token.issue", Outcome::Success).target("user", user.id),
    )
    .await?;
    Ok(pair)
}

/// Rotate: a valid, unused refresh token gives a new pair and is spent. A spent
/// one presented again revokes its whole family.
pub async fn refresh(
    state: &AppState,
    token: &str,
    ctx: &AuditContext,
) -> Result<TokenPair, AppError> {
    if !token.starts_with(REFRESH_PREFIX) {
        return Err(AppError::Unauthorized);
    }
    let row = db::by_hash(&state.db, &hash(token))
        .await?
        .ok_or(AppError::Unauthorized)?;
    let mut ctx = ctx.clone();
    ctx.actor_user_id = Some(row.user_id);
    if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
        return Err(AppError::Unauthorized);
    }
    if !db::spend(&state.db, row.id).await? {
        // Already used: someone else holds a copy. End the family.
        db::revoke_family(&state.db, &row.family).await?;
        let event = NewEvent::new("auth.token.reuse", Outcome::Denied)
            .target("user", row.user_id)
            .details(serde_json::json!({ "family_revoked": true }));
        if let Err(e) = audit::record_now(&state.db, &ctx, event).await {
            tracing::error!(error = %e, "could not record refresh token reuse");
        }
        return Err(AppError::Unauthorized);
    }
    let user = users::find_by_id(&state.db, row.user_id)
        .await?
        .filter(|u| !u.disabled && u.session_epoch == row.epoch)
        .ok_or(AppError::Unauthorized)?;
    // Rotation does not make a login last for ever: the family ends a fixed time
    // after its login, and a person who must now use two-factor authentication
    // and has not set it up gets no more tokens than a login would give them.
    let started = db::family_started(&state.db, &row.family)
        .await?
        .unwrap_or_else(Utc::now);
    let ends = started + chrono::Duration::days(state.settings.refresh_family_max_days.into());
    let two_factor_missing =
        !user.two_factor && super::two_factor::policy(state).await.requires(user.role());
    if ends <= Utc::now() || two_factor_missing {
        db::revoke_family(&state.db, &row.family).await?;
        let reason = if two_factor_missing {
            "two_factor_required"
        } else {
            "family_expired"
        };
        let event = NewEvent::new("auth.token.refresh_refused", Outcome::Denied)
            .target("user", user.id)
            .details(serde_json::json!({ "reason": reason }));
        audit::record_now(&state.db, &ctx, event).await?;
        return Err(if two_factor_missing {
            AppError::form(
                "Set up two-factor authentication in Motto first: an administrator requires it for your account.",
            )
        } else {
            AppError::Unauthorized
        });
    }
    issue(state, user.id, user.session_epoch, Some((row.family, ends))).await
}

/// Revoke a refresh token's family (logout for API clients). Unknown tokens are
/// accepted silently, so the answer reveals nothing.
pub async fn revoke(state: &AppState, token: &str, ctx: &AuditContext) -> Result<(), AppError> {
    if let Some(row) = db::by_hash(&state.db, &hash(token)).await? {
        db::revoke_family(&state.db, &row.family).await?;
        let mut ctx = ctx.clone();
        ctx.actor_user_id = Some(row.user_id);
        audit::record_now(
            &state.db,
            &ctx,
            NewEvent::new("auth.token.revoke", Outcome::Success).target("user", row.user_id),
        )
        .await?;
    }
    Ok(())
}

/// The user an access token speaks for, after every check.
pub async fn verify_access(state: &AppState, token: &str) -> Result<i64, AppError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[issuer(state)]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    validation.leeway = 5;
    let key = DecodingKey::from_secret(&signing_key(&state.settings));
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|_| AppError::Unauthorized)?;
    let claims = data.claims;
    if claims.typ != TYP_ACCESS {
        return Err(AppError::Unauthorized);
    }
    let id: i64 = claims.sub.parse().map_err(|_| AppError::Unauthorized)?;
    let user = users::find_by_id(&state.db, id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.disabled || user.session_epoch != claims.epoch {
        return Err(AppError::Unauthorized);
    }
    Ok(id)
}
