//! File system work done before Motto serves, with errors an operator can act on.
//! Every failure names the setting (or file), the absolute path, what went wrong
//! in words, and what to do — never a bare "No such file or directory (os error 2)".

use std::{
    io,
    path::{Path, PathBuf},
};

/// A start-up file system failure, worded for the operator:
/// `DATA_DIR=/srv/motto/data: cannot create: permission denied — choose a writable directory`.
#[derive(Debug, thiserror::Error)]
#[error("{subject}: cannot {action}: {reason} — {fix}")]
pub struct StartupIoError {
    /// `DATA_DIR=/abs/path`, or a plain path when no setting names it.
    pub subject: String,
    pub action: &'static str,
    pub reason: String,
    pub fix: String,
}

impl StartupIoError {
    pub fn new(
        subject: impl Into<String>,
        action: &'static str,
        error: &io::Error,
        fix: impl Into<String>,
    ) -> Self {
        StartupIoError {
            subject: subject.into(),
            action,
            reason: describe(error),
            fix: fix.into(),
        }
    }
}

/// `path` made absolute against the working directory (without touching the file
/// system), so messages say where the file really is.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `SETTING=/abs/path` for messages.
pub fn setting_subject(setting: &str, path: &Path) -> String {
    format!("{setting}={}", absolute(path).display())
}

/// An I/O error in words a person understands, without the OS's error number.
pub fn describe(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let words = match e.kind() {
        K::PermissionDenied => "permission denied",
        K::NotFound => "a directory on the way does not exist",
        K::AlreadyExists => "something else already exists at that path",
        K::NotADirectory => "a part of the path is a file, not a directory",
        K::IsADirectory => "it is a directory, not a file",
        K::ReadOnlyFilesystem => "the file system is read-only",
        K::StorageFull => "no space left on the device",
        K::QuotaExceeded => "the disk quota is exceeded",
        K::InvalidFilename => "the name is not valid on this file system",
        K::WouldBlock => "another process holds it",
        _ => "",
    };
    if words.is_empty() {
        // No plain words for this one: the OS's message, minus "(os error N)".
        let text = e.to_string();
        match text.find(" (os error") {
            Some(i) => text[..i].to_string(),
            None => text,
        }
        .to_lowercase()
    } else {
        words.to_string()
    }
}

/// Create `dir` (and its parents) when missing and check that Motto can write in
/// it. `setting` names what configures the directory (`DATA_DIR`, `DATABASE_URL`).
pub fn ensure_writable_dir(setting: &str, dir: &Path) -> Result<(), StartupIoError> {
    let subject = || setting_subject(setting, dir);
    let fix = format!(
        "choose a writable directory (set {setting}), or create it and give the user running Motto write access"
    );
    if dir.exists() && !dir.is_dir() {
        return Err(StartupIoError {
            subject: subject(),
            action: "use it as a directory",
            reason: "it is a file, not a directory".into(),
            fix,
        });
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| StartupIoError::new(subject(), "create", &e, fix.clone()))?;
    let probe = dir.join(format!(".motto-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"ok")
        .map_err(|e| StartupIoError::new(subject(), "write in it", &e, fix.clone()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_created_with_its_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/data");
        ensure_writable_dir("DATA_DIR", &dir).unwrap();
        assert!(dir.is_dir());
        // No probe file is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_file_in_the_way_is_named_with_the_setting_and_a_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("data");
        std::fs::write(&file, b"x").unwrap();
        let err = ensure_writable_dir("DATA_DIR", &file)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("DATA_DIR={}: ", file.display())),
            "{err}"
        );
        assert!(err.contains("not a directory"), "{err}");
        assert!(err.contains("choose a writable directory"), "{err}");
        assert!(!err.contains("os error"), "{err}");
    }

    #[test]
    fn a_parent_that_is_a_file_is_explained_without_the_os_error_number() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("plain-file");
        std::fs::write(&file, b"x").unwrap();
        let err = ensure_writable_dir("DATA_DIR", &file.join("data"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot create: "), "{err}");
        assert!(err.contains("a part of the path is a file"), "{err}");
        assert!(!err.contains("os error"), "{err}");
    }

    #[test]
    fn relative_paths_are_shown_absolute() {
        let shown = setting_subject("DATA_DIR", Path::new("data"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(shown, format!("DATA_DIR={}", cwd.join("data").display()));
    }
}
