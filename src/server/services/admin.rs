//! The admin console: the audit log (filters, keyset pages, export, integrity) and
//! user management. Everything here is for administrators only: anyone else gets
//! NotFound (the console does not admit it exists) and an `authz.denied` event.

use crate::{
    domain::{
        admin::{
            csv_record, AuditEventView, AuditPage, AuditQuery, IntegrityCheck, UserAction,
            UserDetail, UserPage, UserSummary, AUDIT_PAGE_SIZE, USER_PAGE_SIZE,
        },
        user::Role,
    },
    error::AppError,
    server::{
        auth::AuthUser,
        db::{
            admin::{self as db, AuditFilter, CheckRow},
            audit::{self, AuditContext, AuditRow, NewEvent, Outcome},
            users,
        },
        state::AppState,
    },
};
use chrono::{DateTime, NaiveDateTime, Utc};
use tokio::sync::mpsc;
use unicode_normalization::UnicodeNormalization;

/// The admin's id, or NotFound with an `authz.denied` event (at most one a minute
/// per person or address: one page view loads several admin resources, and
/// probing must not flood the log).
pub async fn require_admin(
    state: &AppState,
    user: Option<&AuthUser>,
    resource: &str,
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    require(state, user, resource, ctx, &[Role::Admin]).await
}

/// As [`require_admin`], for the audit console and its exports, which
/// auditors may read too.
pub async fn require_auditor(
    state: &AppState,
    user: Option<&AuthUser>,
    resource: &str,
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    require(state, user, resource, ctx, &[Role::Admin, Role::Auditor]).await
}

async fn require(
    state: &AppState,
    user: Option<&AuthUser>,
    resource: &str,
    ctx: &AuditContext,
    roles: &[Role],
) -> Result<i64, AppError> {
    if let Some(u) = user.filter(|u| roles.contains(&u.role)) {
        return Ok(u.id);
    }
    let who = match user {
        Some(u) => format!("user:{}", u.id),
        None => format!("ip:{}", ctx.source_ip.as_deref().unwrap_or("-")),
    };
    if state.security.dedupe.should_record(&format!("authz:{who}")) {
        let event = NewEvent::new("authz.denied", Outcome::Denied)
            .details(serde_json::json!({ "resource": resource }));
        if let Err(e) = audit::record_now(&state.db, ctx, event).await {
            tracing::error!(error = %e, "could not record a denied admin request");
        }
    }
    Err(AppError::NotFound)
}

/// A time from a filter field: RFC 3339, or `YYYY-MM-DDTHH:MM[:SS]` in UTC.
fn parse_time(field: &str, raw: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(Some(t.and_utc()));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()));
    }
    Err(AppError::field(
        field,
        "Use a date and time such as 2026-11-29T14:30 (UTC).",
    ))
}

/// Parse the filters of the page into database terms.
pub async fn filter(state: &AppState, q: &AuditQuery) -> Result<AuditFilter, AppError> {
    let text = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.chars().take(200).collect::<String>())
    };
    let actors = match text(&q.actor) {
        None => None,
        Some(a) => {
            if let Some(id) = a.strip_prefix('#').and_then(|n| n.parse::<i64>().ok()) {
                Some(vec![id])
            } else {
                let key: String = a.nfkc().collect::<String>().to_lowercase();
                let found = db::user_id_by_username(&state.db, &key).await?;
                Some(found.into_iter().collect())
            }
        }
    };
    let outcome = match text(&q.outcome) {
        None => None,
        Some(o) if ["success", "failure", "denied"].contains(&o.as_str()) => Some(o),
        Some(_) => {
            return Err(AppError::field(
                "outcome",
                "Choose success, failure or denied.",
            ))
        }
    };
    let from = parse_time("from", &q.from)?;
    let to = parse_time("to", &q.to)?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(AppError::field("to", "The end must be after the start."));
        }
    }
    Ok(AuditFilter {
        actors,
        action_prefix: text(&q.action),
        outcome,
        source_ip: text(&q.source_ip),
        from,
        to,
        text: text(&q.text).map(|t| t.to_lowercase()),
    })
}

async fn views(state: &AppState, rows: Vec<AuditRow>) -> Result<Vec<AuditEventView>, AppError> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = db::usernames(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEventView {
            actor_username: r.actor_user_id.and_then(|id| names.get(&id).cloned()),
            details: serde_json::from_str::<serde_json::Value>(&r.details)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(r.details),
            id: r.id,
            occurred_at: r.occurred_at,
            actor_user_id: r.actor_user_id,
            actor_api_key_id: r.actor_api_key_id,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            outcome: r.outcome,
            source_ip: r.source_ip,
            user_agent: r.user_agent,
            request_id: r.request_id,
            hash: r.hash,
        })
        .collect())
}

pub async fn audit_page(
    state: &AppState,
    q: &AuditQuery,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    let f = filter(state, q).await?;
    let mut rows = db::audit_events(&state.db, &f, before, AUDIT_PAGE_SIZE as i64 + 1).await?;
    let more = rows.len() > AUDIT_PAGE_SIZE;
    rows.truncate(AUDIT_PAGE_SIZE);
    let next_before = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(AuditPage {
        events: views(state, rows).await?,
        next_before,
    })
}

pub async fn audit_event(state: &AppState, id: i64) -> Result<AuditEventView, AppError> {
    let row = db::audit_event(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(views(state, vec![row]).await?.remove(0))
}

fn check_view(c: CheckRow) -> IntegrityCheck {
    IntegrityCheck {
        checked_at: c.checked_at,
        events: c.events,
        intact: c.intact,
        first_broken_id: c.first_broken_id,
        reason: c.reason,
    }
}

/// Walk the whole chain now (the same code as `motto verify-audit`) and keep the
/// result for the page.
pub async fn verify_chain(state: &AppState) -> anyhow::Result<IntegrityCheck> {
    let report = audit::verify(&state.db).await?;
    let check = CheckRow::from_report(&report);
    db::insert_check(&state.db, &check).await?;
    if !check.intact {
        tracing::error!(
            first_broken = ?check.first_broken_id,
            "the audit chain does not verify"
        );
    }
    Ok(check_view(check))
}

pub async fn latest_check(state: &AppState) -> Result<Option<IntegrityCheck>, AppError> {
    Ok(db::latest_check(&state.db).await?.map(check_view))
}

/// Verify the chain every `every`, so the page always has a recent answer.
pub fn spawn_chain_checks(state: AppState, every: std::time::Duration) {
    crate::server::request::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = verify_chain(&state).await {
                tracing::warn!(error = %e, "scheduled audit chain check failed to run");
            }
            let before = Utc::now() - chrono::Duration::days(30);
            if let Err(e) = db::prune_sessions(&state.db, before).await {
                tracing::warn!(error = %e, "could not prune old sessions");
            }
        }
    });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    JsonLines,
    /// The whole chain, oldest first, every field and link as stored: what
    /// `motto verify-export` checks (filters do not apply).
    Chain,
}

const CSV_COLUMNS: [&str; 13] = [
    "id",
    "occurred_at",
    "actor_user_id",
    "actor_username",
    "actor_api_key_id",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "source_ip",
    "user_agent",
    "request_id",
    "details",
];

fn csv_line(e: &AuditEventView) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    // Details on one line: the JSON as stored, compact.
    let details = serde_json::from_str::<serde_json::Value>(&e.details)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| e.details.clone());
    csv_record(&[
        e.id.to_string(),
        e.occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        num(e.actor_user_id),
        opt(&e.actor_username),
        num(e.actor_api_key_id),
        e.action.clone(),
        opt(&e.target_type),
        opt(&e.target_id),
        e.outcome.clone(),
        opt(&e.source_ip),
        opt(&e.user_agent),
        opt(&e.request_id),
        details,
    ])
}

fn json_line(e: &AuditEventView) -> String {
    let details = serde_json::from_str::<serde_json::Value>(&e.details)
        .unwrap_or_else(|_| serde_json::Value::String(e.details.clone()));
    let mut line = serde_json::json!({
        "id": e.id,
        "occurred_at": e.occurred_at,
        "actor_user_id": e.actor_user_id,
        "actor_username": e.actor_username,
        "actor_api_key_id": e.actor_api_key_id,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "outcome": e.outcome,
        "source_ip": e.source_ip,
        "user_agent": e.user_agent,
        "request_id": e.request_id,
        "details": details,
        "hash": e.hash,
    })
    .to_string();
    line.push('\n');
    line
}

const EXPORT_BATCH: i64 = 1000;

/// Start an export of the filtered events, newest first: the returned channel
/// yields the file in pieces, read from the database a batch at a time, so the
/// whole table is never in memory. The export itself is audited first.
pub async fn export(
    state: &AppState,
    q: &AuditQuery,
    format: ExportFormat,
    ctx: &AuditContext,
) -> Result<mpsc::Receiver<Result<String, std::io::Error>>, AppError> {
    let f = filter(state, q).await?;
    let event = NewEvent::new("admin.audit.export", Outcome::Success).details(serde_json::json!({
        "format": match format {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
            ExportFormat::Chain => "chain",
        },
        "filters": q,
    }));
    audit::record_now(&state.db, ctx, event).await?;
    let (tx, rx) = mpsc::channel(4);
    let state = state.clone();
    crate::server::request::spawn(async move {
        if format == ExportFormat::Chain {
            return export_chain(&state, tx).await;
        }
        if format == ExportFormat::Csv && tx.send(Ok(csv_record(&CSV_COLUMNS))).await.is_err() {
            return;
        }
        let mut before = None;
        loop {
            let rows = match db::audit_events(&state.db, &f, before, EXPORT_BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "audit export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let last = rows.last().map(|r| r.id);
            let full = rows.len() as i64 == EXPORT_BATCH;
            let events = match views(&state, rows).await {
                Ok(v) => v,
                Err(_) => {
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let mut chunk = String::new();
            for e in &events {
                chunk.push_str(&match format {
                    ExportFormat::Csv => csv_line(e),
                    ExportFormat::JsonLines | ExportFormat::Chain => json_line(e),
                });
            }
            if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
                return;
            }
            if !full {
                return;
            }
            before = last;
        }
    });
    Ok(rx)
}

async fn export_chain(state: &AppState, tx: mpsc::Sender<Result<String, std::io::Error>>) {
    let mut from = 1;
    loop {
        let rows = match audit::chain_batch(&state.db, from, EXPORT_BATCH).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, "audit export failed");
                let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                return;
            }
        };
        let mut chunk = String::new();
        for row in &rows {
            if let Ok(line) = serde_json::to_string(row) {
                chunk.push_str(&line);
                chunk.push('\n');
            }
        }
        if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
            return;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == EXPORT_BATCH => from = last.id + 1,
            _ => return,
        }
    }
}

fn summary(r: db::UserListRow) -> UserSummary {
    UserSummary {
        role: Role::parse(&r.role).unwrap_or(Role::User),
        id: r.id,
        username: r.username,
        email: r.email,
        disabled: r.disabled,
        created_at: r.created_at,
        last_login_at: r.last_login_at,
        active_sessions: r.active_sessions,
        two_factor: r.two_factor,
        storage_bytes: r.storage_bytes,
    }
}

pub async fn users(state: &AppState, search: &str, page: u32) -> Result<UserPage, AppError> {
    let page = page.max(1);
    let search: String = search
        .trim()
        .chars()
        .take(100)
        .collect::<String>()
        .nfkc()
        .collect::<String>()
        .to_lowercase();
    let (idle, started) = super::sessions::since(state);
    let (rows, total) = db::users(
        &state.db,
        (!search.is_empty()).then_some(search.as_str()),
        idle,
        started,
        USER_PAGE_SIZE as i64,
        ((page - 1) * USER_PAGE_SIZE) as i64,
    )
    .await?;
    Ok(UserPage {
        items: rows.into_iter().map(summary).collect(),
        total,
        page,
        per_page: USER_PAGE_SIZE,
    })
}

pub async fn user(state: &AppState, id: i64) -> Result<UserDetail, AppError> {
    let (idle, started) = super::sessions::since(state);
    let row = db::user(&state.db, id, idle, started)
        .await?
        .ok_or(AppError::NotFound)?;
    let sessions = db::active_sessions(&state.db, id, idle, started).await?;
    Ok(UserDetail {
        user: summary(row),
        sessions: sessions
            .into_iter()
            .map(|s| super::sessions::session_view(s, None))
            .collect(),
    })
}

/// Change an account. The last enabled administrator can be neither demoted nor
/// disabled; nobody disables or demotes themselves here (ask another admin).
/// Disabling and ending sessions bump the account's session epoch, which ends
/// every session at once.
pub async fn act(
    state: &AppState,
    admin: i64,
    target: i64,
    action: UserAction,
    revoke_keys: bool,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let mut keys_revoked = 0;
    let demotes = matches!(
        action,
        UserAction::Disable | UserAction::Demote | UserAction::MakeAuditor
    );
    if admin == target && demotes {
        return Err(AppError::Conflict(
            "You cannot disable or demote your own account; ask another administrator.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let admins = db::enabled_admins(&mut tx).await?;
    let user = users::find_by_id_in(&mut tx, target)
        .await?
        .ok_or(AppError::NotFound)?;
    let is_last_admin = admins.contains(&target) && admins.len() == 1 && user.role() == Role::Admin;
    if is_last_admin && demotes {
        return Err(AppError::Conflict(format!(
            "{} is the last administrator: promote someone else first.",
            user.username
        )));
    }
    match action {
        UserAction::Disable => {
            db::set_disabled(&mut tx, target, true).await?;
            users::bump_session_epoch(&mut tx, target).await?;
            db::end_user_sessions(&mut tx, target).await?;
            // Enabling the account later must not bring old keys back to life
            // without anyone deciding so: they are revoked now.
            keys_revoked = crate::server::db::api_keys::revoke_all(&mut tx, target).await?;
        }
        UserAction::Enable => {
            db::set_disabled(&mut tx, target, false).await?;
        }
        UserAction::Promote => {
            db::set_role(&mut tx, target, Role::Admin.as_str()).await?;
        }
        UserAction::Demote => {
            db::set_role(&mut tx, target, Role::User.as_str()).await?;
        }
        UserAction::MakeAuditor => {
            db::set_role(&mut tx, target, Role::Auditor.as_str()).await?;
        }
        UserAction::ResetTwoFactor => {
            if !user.two_factor {
                return Err(AppError::Conflict(format!(
                    "{} does not use two-factor authentication.",
                    user.username
                )));
            }
            crate::server::db::two_factor::disable(&mut tx, target).await?;
            // Whoever is signed in as them now may be the one who took the
            // authenticator: they log in again, with the password alone, and set
            // it up anew (at once, when the policy requires it).
            users::bump_session_epoch(&mut tx, target).await?;
            db::end_user_sessions(&mut tx, target).await?;
        }
        UserAction::EndSessions => {
            users::bump_session_epoch(&mut tx, target).await?;
            db::end_user_sessions(&mut tx, target).await?;
            if revoke_keys {
                keys_revoked = crate::server::db::api_keys::revoke_all(&mut tx, target).await?;
            }
        }
    }
    let mut event = NewEvent::new(action.audit_action(), Outcome::Success).target("user", target);
    if matches!(action, UserAction::Disable | UserAction::EndSessions) {
        event = event.details(serde_json::json!({ "sessions_and_tokens_ended": true, "api_keys_revoked": keys_revoked }));
    }
    audit::record(
        &mut tx, ctx,
        // The target by number only: the log must not keep a name after the
        // account is deleted (the page shows the current name beside the number).
        event,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_times_accept_the_input_formats() {
        let t = parse_time("from", "2026-11-29T14:30").unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-29T14:30:00+00:00");
        let t = parse_time("from", "2026-11-29T14:30:00+01:00")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-29T13:30:00+00:00");
        assert_eq!(parse_time("from", " ").unwrap(), None);
        assert!(parse_time("from", "yesterday").is_err());
    }
}
