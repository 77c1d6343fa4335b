//! Sealing the audit log: every `AUDIT_CHECKPOINT_EVENTS` events or
//! `AUDIT_CHECKPOINT_SECONDS` (whichever comes first, when anything was written),
//! at start and at shutdown, Motto signs a checkpoint over the events since the
//! last one, keeps it in the database and writes it to the checkpoint directory.
//! A checkpoint the directory could not take stays in the database and is
//! written at the next tick, in order; the admin page shows how far behind the
//! directory is.

use crate::domain::admin::CheckpointStatus;
use crate::server::{
    adapters::checkpoints::CheckpointDir,
    audit_chain::{encode_public_key, key_id, CheckpointSigner, SignedCheckpoint},
    db::{audit, Db},
    state::AppState,
};
use chrono::Utc;
use std::time::{Duration, Instant};

/// How often the schedule looks at the chain's length.
const TICK: Duration = Duration::from_secs(2);
/// How often retention looks for a run old enough to prune.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub fn signer(state: &AppState) -> CheckpointSigner {
    CheckpointSigner::from_seed(&state.settings.audit.signing_seed)
}

fn directory(state: &AppState) -> Option<CheckpointDir> {
    state
        .settings
        .audit
        .checkpoint_dir
        .as_ref()
        .map(CheckpointDir::new)
}

/// Sign a checkpoint over the events since the last one, if there are any.
/// The chain head stays locked meanwhile, so no event slips between the tip
/// read and the checkpoint, and two instances never seal the same range.
pub async fn seal(db: &Db, signer: &CheckpointSigner) -> anyhow::Result<Option<SignedCheckpoint>> {
    let mut tx = db.begin_unguarded().await?;
    let tip = audit::lock_tip(&mut tx).await?;
    let prev = audit::last_checkpoint(&mut tx).await?;
    let Some(cp) = signer.next(prev.as_ref(), &tip, Utc::now()) else {
        tx.rollback().await?;
        return Ok(None);
    };
    audit::insert_checkpoint(&mut tx, &cp).await?;
    tx.commit().await?;
    Ok(Some(cp))
}

/// Write to the directory every checkpoint it does not have yet, oldest first.
/// Returns how many were written.
pub async fn ship(db: &Db, dir: &CheckpointDir) -> anyhow::Result<usize> {
    let have = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || dir.last_seq()).await??
    };
    let missing = audit::checkpoints_after(db, have).await?;
    let dir = dir.clone();
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<usize> {
        let mut n = 0;
        for cp in &missing {
            if dir.write(cp)? {
                n += 1;
            }
        }
        Ok(n)
    })
    .await??;
    Ok(written)
}

/// Seal and ship once; failures are logged, never fatal (the events are safe in
/// the database, and the next round catches up).
pub async fn seal_and_ship(state: &AppState) {
    match seal(&state.db, &signer(state)).await {
        Ok(Some(cp)) => tracing::debug!(
            checkpoint = cp.body.seq,
            last_event = cp.body.last_id,
            "audit checkpoint signed"
        ),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "could not sign an audit checkpoint"),
    }
    if let Some(dir) = directory(state) {
        if let Err(e) = ship(&state.db, &dir).await {
            tracing::error!(
                directory = %dir.path().display(),
                error = %e,
                "could not write audit checkpoints to their directory; they are kept in the database and written when it works again"
            );
        }
    }
}

/// Seal whenever enough events or enough time has gone by (the start's own
/// round is the caller's).
pub fn spawn_schedule(state: AppState) {
    crate::server::request::spawn(async move {
        let every = state.settings.audit.checkpoint_events;
        let interval = state.settings.audit.checkpoint_interval;
        let mut last_round = Instant::now();
        let mut tick = tokio::time::interval(TICK.min(interval));
        let mut directory_behind_since = None;
        let mut last_prune: Option<Instant> = None;
        tick.tick().await;
        loop {
            tick.tick().await;
            if state.db.is_closed() {
                break;
            }
            if state.settings.audit.fail_closed {
                guard(&state, &mut directory_behind_since).await;
            }
            let (count, sealed) = match unsealed(&state.db).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the audit chain's length");
                    continue;
                }
            };
            // On time, also with nothing new to seal: a directory that was
            // down may be back, and gets what it missed.
            if count - sealed >= every || last_round.elapsed() >= interval {
                seal_and_ship(&state).await;
                last_round = Instant::now();
            }
            if let Some(days) = state.settings.audit.retention_days {
                if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                    last_prune = Some(Instant::now());
                    let cutoff = Utc::now() - chrono::Duration::days(days.into());
                    if let Err(e) = super::audit_retention::prune_older_than(&state, cutoff).await {
                        tracing::error!(error = %e, "could not prune old audit events");
                    }
                }
            }
        }
    });
}

/// `AUDIT_FAIL_CLOSED`: refuse writes while the checkpoint directory or a sink
/// has been failing for longer than `AUDIT_FAIL_CLOSED_SECONDS`; accept them
/// again as soon as it works. Every instance looks for itself (the sinks'
/// state is in the database), every tick.
async fn guard(state: &AppState, directory_behind_since: &mut Option<Instant>) {
    let after = state.settings.audit.fail_closed_after;
    let mut reason = None;
    if let Some(dir) = directory(state) {
        // Behind: try to catch up first (a directory that is back takes them).
        let behind = match ship(&state.db, &dir).await {
            Ok(_) => false,
            Err(e) => {
                tracing::debug!(error = %e, "checkpoint directory still failing");
                true
            }
        };
        if behind {
            let since = *directory_behind_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= after {
                reason = Some(format!(
                    "the checkpoint directory {} has not taken new checkpoints for {}s",
                    dir.path().display(),
                    since.elapsed().as_secs()
                ));
            }
        } else {
            *directory_behind_since = None;
        }
    }
    match super::audit_stream::status(state).await {
        Ok(sinks) => {
            for s in sinks {
                let Some(since) = s.failing_since else {
                    continue;
                };
                let failing_for = (Utc::now() - since).to_std().unwrap_or_default();
                if failing_for >= after {
                    reason = Some(format!(
                        "audit sink {} has been failing for {}s ({})",
                        s.name,
                        failing_for.as_secs(),
                        s.last_error.unwrap_or_default()
                    ));
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read the audit sinks' state"),
    }
    let refused = reason.is_some();
    if state.db.refuse_writes(reason.clone()) {
        if refused {
            tracing::error!(
                reason = reason.as_deref().unwrap_or_default(),
                "AUDIT_FAIL_CLOSED: refusing state changes until the audit trail can be delivered"
            );
        } else {
            tracing::warn!("the audit trail is delivered again: state changes accepted");
        }
    }
}

/// (events in the chain, last event sealed by a checkpoint).
async fn unsealed(db: &Db) -> anyhow::Result<(i64, i64)> {
    let count = audit::event_count(db).await?;
    let sealed = audit::latest_checkpoint(db)
        .await?
        .map_or(0, |c| c.body.last_id);
    Ok((count, sealed))
}

/// What the admin page shows about sealing.
pub async fn status(state: &AppState) -> anyhow::Result<CheckpointStatus> {
    let signer = signer(state);
    let public = signer.public_key();
    let latest = audit::latest_checkpoint(&state.db).await?;
    let count = audit::event_count(&state.db).await?;
    let dir = directory(state);
    let in_directory = match &dir {
        Some(d) => {
            let d = d.clone();
            tokio::task::spawn_blocking(move || d.last_seq().ok())
                .await
                .ok()
                .flatten()
        }
        None => None,
    };
    Ok(CheckpointStatus {
        public_key: encode_public_key(&public),
        key_id: key_id(&public),
        signing_key_configured: state.settings.audit.signing_key_configured,
        last_seq: latest.as_ref().map(|c| c.body.seq),
        last_event: latest.as_ref().map(|c| c.body.last_id),
        last_at: latest
            .as_ref()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(&c.body.created_at).ok())
            .map(|t| t.with_timezone(&Utc)),
        unsealed_events: count - latest.as_ref().map_or(0, |c| c.body.last_id),
        directory: dir.map(|d| d.path().display().to_string()),
        in_directory,
        every_events: state.settings.audit.checkpoint_events,
        every_seconds: state.settings.audit.checkpoint_interval.as_secs(),
        sinks: super::audit_stream::status(state).await?,
        writes_refused: state.db.writes_refused(),
        retention_days: state.settings.audit.retention_days,
        pruned: audit::last_prune(&state.db)
            .await?
            .map(|p| (p.upto_id, p.pruned_at)),
    })
}
