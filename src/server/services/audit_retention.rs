//! Retention of the audit log (`AUDIT_RETENTION_DAYS`). Old events are removed
//! only as a whole sealed run: from the first event still stored up to the end
//! of a signed checkpoint (one the checkpoint directory already holds), all
//! older than the cut-off, and only after the run was written to an archive
//! file. The prune is recorded in `audit_prunes` and by an `audit.prune` event
//! in the chain itself, so the chain keeps verifying from that checkpoint and
//! an auditor checks the archive with `motto verify-export ARCHIVE EXPORT`.

use crate::server::{
    adapters::checkpoints::CheckpointDir,
    db::{
        audit::{self, AuditContext, NewEvent, Outcome, PRUNE_ACTION},
        Db,
    },
    state::AppState,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

const BATCH: i64 = 2000;

/// What one prune removed.
#[derive(Clone, Debug)]
pub struct Pruned {
    pub first: i64,
    pub last: i64,
    pub removed: i64,
    pub archive: PathBuf,
    pub sha256: String,
}

/// Archive and remove the oldest sealed run of events older than `cutoff`, if
/// there is one.
pub async fn prune_older_than(
    state: &AppState,
    cutoff: DateTime<Utc>,
) -> anyhow::Result<Option<Pruned>> {
    let db = &state.db;
    let done = audit::last_prune(db).await?.map_or(0, |p| p.upto_id);
    // Only what the checkpoint directory holds counts as sealed outside.
    let outside = match &state.settings.audit.checkpoint_dir {
        Some(dir) => {
            let dir = CheckpointDir::new(dir);
            Some(tokio::task::spawn_blocking(move || dir.last_seq()).await??)
        }
        None => None,
    };
    let mut target = None;
    for cp in audit::stored_checkpoints(db).await?.into_iter().rev() {
        if cp.body.last_id <= done {
            break;
        }
        if outside.is_some_and(|o| cp.body.seq > o) {
            continue;
        }
        if audit::occurred_at(db, cp.body.last_id)
            .await?
            .is_some_and(|t| t < cutoff)
        {
            target = Some(cp);
            break;
        }
    }
    let Some(cp) = target else {
        return Ok(None);
    };
    let (first, last) = (done + 1, cp.body.last_id);
    let (archive, sha256) =
        write_archive(db, &state.settings.audit.archive_dir, first, last).await?;
    let name = archive.display().to_string();
    let mut tx = db.begin().await?;
    let removed = audit::prune(&mut tx, last, cp.body.seq, &name, &sha256).await?;
    audit::record(
        &mut tx,
        &AuditContext::default(),
        NewEvent::new(PRUNE_ACTION, Outcome::Success).details(serde_json::json!({
            "first": first,
            "last": last,
            "removed": removed,
            "checkpoint": cp.body.seq,
            "archive": name,
            "sha256": sha256,
            "older_than": cutoff.to_rfc3339(),
        })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(first, last, removed, archive = %name, "audit events archived and pruned");
    Ok(Some(Pruned {
        first,
        last,
        removed,
        archive,
        sha256,
    }))
}

/// Write events `first..=last` as `motto export-audit` does, to
/// `audit-events-<first>-<last>.jsonl` in `dir`, durably, never replacing a
/// different file of that name. Returns the file and its SHA-256.
async fn write_archive(
    db: &Db,
    dir: &Path,
    first: i64,
    last: i64,
) -> anyhow::Result<(PathBuf, String)> {
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(format!("audit-events-{first:09}-{last:09}.jsonl"));
    let partial = path.with_extension("jsonl.partial");
    let mut file = tokio::fs::File::create(&partial).await?;
    let mut hasher = Sha256::new();
    let mut from = first;
    while from <= last {
        let rows = audit::chain_batch(db, from, BATCH.min(last - from + 1)).await?;
        let Some(end) = rows.last().map(|r| r.id) else {
            anyhow::bail!("events {from}–{last} are not in the database to archive");
        };
        let mut buf = Vec::new();
        for row in rows.iter().filter(|r| r.id <= last) {
            serde_json::to_writer(&mut buf, row)?;
            buf.push(b'\n');
        }
        hasher.update(&buf);
        file.write_all(&buf).await?;
        from = end + 1;
    }
    file.sync_all().await?;
    drop(file);
    let sha256 = hex::encode(hasher.finalize());
    if tokio::fs::try_exists(&path).await? {
        // A prune that stopped after writing its archive: the same file is fine.
        let existing = hex::encode(Sha256::digest(tokio::fs::read(&path).await?));
        tokio::fs::remove_file(&partial).await?;
        anyhow::ensure!(
            existing == sha256,
            "{} exists and holds other events; move it away before pruning",
            path.display()
        );
        return Ok((path, sha256));
    }
    tokio::fs::rename(&partial, &path).await?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tokio::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o440)).await?;
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok((path, sha256))
}
