//! Streaming the audit log to its sinks (syslog, HTTPS), after commit and in
//! order. The events table is the outbox: each sink's row in `audit_sinks`
//! says how far it has received the log, and moves only after a delivery
//! succeeded, so a sink that is down gets everything once it is back, also
//! after a restart. One instance delivers to a sink at a time (a lease).
//! Delivery is at least once: a receiver that acknowledged a batch whose
//! acknowledgement never arrived sees it again, and can tell by the event ids.

use crate::domain::admin::SinkStatus;
use crate::server::{
    adapters::audit_sinks::Destination,
    config::Sink,
    db::{audit, audit_sinks, Db},
    state::AppState,
};
use std::time::Duration;
use tokio::sync::watch;

/// Events per delivery.
const BATCH: i64 = 500;
/// How often an idle sink looks for new events.
const POLL: Duration = Duration::from_millis(500);
/// How often an instance without the lease asks for it again.
const NOT_LEADER: Duration = Duration::from_secs(5);
/// The longest wait between attempts at a sink that fails.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Start a delivery loop per configured sink. A sink that cannot be set up
/// (an unreadable CA file) stops the start: better than running unaudited
/// outside.
pub fn start(state: &AppState) -> anyhow::Result<()> {
    for sink in &state.settings.audit.sinks {
        let destination =
            Destination::new(sink).map_err(|e| anyhow::anyhow!("audit sink {}: {e}", sink.id()))?;
        let task = tokio::spawn(run(
            state.db.clone(),
            sink.id(),
            state.audit_stream.owner.clone(),
            destination,
            state.audit_stream.stop.subscribe(),
        ));
        state
            .audit_stream
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }
    Ok(())
}

/// Stop the loops once their delivery in flight is done (at shutdown, after
/// the last request), and give their leases back.
pub async fn stop(state: &AppState) {
    let _ = state.audit_stream.stop.send(true);
    let tasks: Vec<_> = std::mem::take(
        &mut *state
            .audit_stream
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    for task in tasks {
        let _ = task.await;
    }
}

enum Step {
    Sent,
    Idle,
    NotLeader,
    Failed(i32),
}

async fn run(
    db: Db,
    id: String,
    owner: String,
    mut destination: Destination,
    mut stop: watch::Receiver<bool>,
) {
    if let Err(e) = audit_sinks::register(&db, &id).await {
        tracing::error!(sink = %id, error = %e, "cannot register the audit sink");
    }
    loop {
        if *stop.borrow() || db.is_closed() {
            break;
        }
        let wait = match step(&db, &id, &owner, &mut destination).await {
            Ok(Step::Sent) => continue,
            Ok(Step::Idle) => POLL,
            Ok(Step::NotLeader) => NOT_LEADER,
            Ok(Step::Failed(n)) => backoff(n),
            Err(e) => {
                if db.is_closed() {
                    break;
                }
                tracing::warn!(sink = %id, error = %e, "audit sink: database error");
                NOT_LEADER
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
    if !db.is_closed() {
        let _ = audit_sinks::release(&db, &id, &owner).await;
    }
}

/// 1 s after the first failure, doubling, at most [`MAX_BACKOFF`].
fn backoff(failures: i32) -> Duration {
    let exp = failures.clamp(1, 16) as u32 - 1;
    Duration::from_secs(1u64 << exp).min(MAX_BACKOFF)
}

async fn step(
    db: &Db,
    id: &str,
    owner: &str,
    destination: &mut Destination,
) -> anyhow::Result<Step> {
    let Some(delivered) = audit_sinks::claim(db, id, owner).await? else {
        return Ok(Step::NotLeader);
    };
    let batch = audit::chain_batch(db, delivered + 1, BATCH).await?;
    let Some(last) = batch.last() else {
        return Ok(Step::Idle);
    };
    match destination.send(&batch).await {
        Ok(()) => {
            if !audit_sinks::delivered(db, id, owner, last.id).await? {
                tracing::warn!(sink = %id, "audit sink: another instance took over the delivery");
            }
            Ok(Step::Sent)
        }
        Err(error) => {
            let failures = audit_sinks::failed(db, id, owner, &error).await?;
            if failures == 1 || failures % 10 == 0 {
                tracing::warn!(
                    sink = %id,
                    failures,
                    first_event = batch[0].id,
                    error = %error,
                    "audit events could not be delivered; they wait in the database and are sent again"
                );
            }
            Ok(Step::Failed(failures))
        }
    }
}

/// How far each configured sink is behind, for the admin page.
pub async fn status(state: &AppState) -> anyhow::Result<Vec<SinkStatus>> {
    let events = audit::event_count(&state.db).await?;
    let mut out = Vec::new();
    for sink in &state.settings.audit.sinks {
        let name = sink.id();
        let row = audit_sinks::get(&state.db, &name).await?;
        let delivered = row.as_ref().map_or(0, |r| r.delivered_id);
        out.push(SinkStatus {
            kind: match sink {
                Sink::Syslog { .. } => "syslog",
                Sink::Https { .. } => "https",
            }
            .to_string(),
            name,
            delivered_id: delivered,
            lag: (events - delivered).max(0),
            delivered_at: row.as_ref().and_then(|r| r.delivered_at),
            failures: row.as_ref().map_or(0, |r| r.failures),
            failing_since: row.as_ref().and_then(|r| r.failing_since),
            last_error: row.and_then(|r| r.last_error),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(6), MAX_BACKOFF);
        assert_eq!(backoff(1000), MAX_BACKOFF);
    }
}
