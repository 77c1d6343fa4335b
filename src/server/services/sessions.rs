//! Signed-in sessions as people see them: which are still alive, and how each is
//! shown (device, address, times). Used by the account page and by administrators.

use crate::{
    domain::account::{describe_user_agent, SessionView},
    server::{db::admin::SessionRow, state::AppState},
};
use chrono::{DateTime, Utc};

pub fn session_view(row: SessionRow, current: Option<&str>) -> SessionView {
    SessionView {
        current: current == Some(row.id.as_str()),
        device: describe_user_agent(row.user_agent.as_deref()),
        id: row.id,
        source_ip: row.source_ip,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
    }
}

/// The oldest last-activity and start times a live session can have.
pub fn since(state: &AppState) -> (DateTime<Utc>, DateTime<Utc>) {
    let now = Utc::now();
    let idle = chrono::Duration::from_std(state.settings.session_idle_timeout)
        .unwrap_or(chrono::Duration::minutes(30));
    let absolute = chrono::Duration::from_std(state.settings.session_absolute_timeout)
        .unwrap_or(chrono::Duration::hours(12));
    (now - idle, now - absolute)
}
