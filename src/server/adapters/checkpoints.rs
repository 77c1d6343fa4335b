//! Where signed audit checkpoints live outside the database: a directory of their
//! own with one file per checkpoint (`checkpoint-000000001.json`, one JSON line),
//! each created once and never rewritten, readable by everyone and writable by
//! no one; or, for auditors, any URL that serves the same lines (a bucket, a
//! web server in front of that directory).

use crate::server::audit_chain::SignedCheckpoint;
use std::{
    io::Write,
    path::{Path, PathBuf},
};

const PREFIX: &str = "checkpoint-";
const SUFFIX: &str = ".json";

#[derive(Clone, Debug)]
pub struct CheckpointDir {
    path: PathBuf,
}

impl CheckpointDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CheckpointDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file_of(&self, seq: i64) -> PathBuf {
        self.path.join(format!("{PREFIX}{seq:09}{SUFFIX}"))
    }

    /// The highest checkpoint number present (0 when there is none).
    pub fn last_seq(&self) -> std::io::Result<i64> {
        let entries = match std::fs::read_dir(&self.path) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut last = 0;
        for entry in entries {
            if let Some(seq) = seq_of(&entry?.file_name().to_string_lossy()) {
                last = last.max(seq);
            }
        }
        Ok(last)
    }

    /// Write `cp` to a new file, durably (the file and the directory entry are
    /// synced). `Ok(false)` when its file already exists: it is never replaced.
    pub fn write(&self, cp: &SignedCheckpoint) -> std::io::Result<bool> {
        std::fs::create_dir_all(&self.path)?;
        let path = self.file_of(cp.body.seq);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o444);
        }
        let mut file = match options.open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(e),
        };
        file.write_all(cp.to_line().as_bytes())?;
        file.sync_all()?;
        #[cfg(unix)]
        std::fs::File::open(&self.path)?.sync_all()?;
        Ok(true)
    }

    /// Every checkpoint in the directory. A file that cannot be read or parsed
    /// is an error that names it (an auditor must not skip one silently).
    pub fn read_all(&self) -> Result<Vec<SignedCheckpoint>, String> {
        let entries = std::fs::read_dir(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        let mut list = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(seq) = seq_of(&name) else {
                continue;
            };
            let text = std::fs::read_to_string(entry.path())
                .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?;
            let cp = SignedCheckpoint::parse(&text)
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            if cp.body.seq != seq {
                return Err(format!(
                    "{} holds checkpoint {}, not {seq}: the file was renamed",
                    entry.path().display(),
                    cp.body.seq
                ));
            }
            list.push(cp);
        }
        list.sort_by_key(|c| c.body.seq);
        Ok(list)
    }
}

fn seq_of(name: &str) -> Option<i64> {
    name.strip_prefix(PREFIX)?
        .strip_suffix(SUFFIX)?
        .parse()
        .ok()
}

/// Checkpoints from a directory, a file of JSON lines, or an http(s) URL that
/// serves JSON lines.
pub async fn load(source: &str) -> Result<Vec<SignedCheckpoint>, String> {
    if source.starts_with("https://") || source.starts_with("http://") {
        let response = reqwest::get(source)
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("cannot fetch checkpoints from {source}: {e}"))?;
        let text = response
            .text()
            .await
            .map_err(|e| format!("cannot read checkpoints from {source}: {e}"))?;
        return parse_lines(&text, source);
    }
    let path = Path::new(source);
    if path.is_dir() {
        return CheckpointDir::new(path).read_all();
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_lines(&text, source)
}

fn parse_lines(text: &str, source: &str) -> Result<Vec<SignedCheckpoint>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            SignedCheckpoint::parse(l).map_err(|e| format!("{source}, line {}: {e}", i + 1))
        })
        .collect()
}

/// All checkpoint files' lines, oldest first: what a URL source serves.
pub fn as_lines(list: &[SignedCheckpoint]) -> String {
    list.iter().map(SignedCheckpoint::to_line).collect()
}
