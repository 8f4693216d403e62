//! Reading and writing files so that hostile paths and failures never cost the user
//! data: reads are bounded (a `.kiln` path may name `/dev/zero` or a pipe that never
//! ends), and writes go to a temporary file next to the target, flushed to disk, then
//! renamed over the target (atomic on POSIX). docs/security.md lists what this
//! guarantees; tests/atomic.rs proves it (invalid input, read-only directory, disk
//! full, SIGKILL mid-write).

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Reads a whole UTF-8 file of at most `limit` bytes. Larger input (a huge file, a
/// device such as `/dev/zero`, an endless pipe) is refused with
/// [`std::io::ErrorKind::FileTooLarge`] after reading `limit + 1` bytes, never more;
/// invalid UTF-8 is [`std::io::ErrorKind::InvalidData`].
pub fn read_to_string_limited(path: &Path, limit: usize) -> std::io::Result<String> {
    read_limited(std::fs::File::open(path)?, limit)
}

/// [`read_to_string_limited`] for any reader (standard input).
pub fn read_limited(reader: impl Read, limit: usize) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    // `take` bounds the read whatever the file claims its size is.
    reader.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "the file is larger than {} MiB, kiln's limit for one file",
                limit / (1024 * 1024)
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is not valid UTF-8",
        )
    })
}

/// Distinguishes the temporary files of concurrent writes in one process (the language
/// server may format two buffers at once).
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes` atomically: on any error the previous file is unchanged
/// and the temporary file is removed.
///
/// - A symbolic link is written through: its target is replaced, the link stays.
/// - A read-only file is refused ([`std::io::ErrorKind::PermissionDenied`]), as an
///   editor would: the rename would otherwise replace it silently.
/// - The temporary file is created exclusively (`O_EXCL`), so a file or link planted at
///   its name is never followed or truncated.
/// - A process killed mid-write leaves the previous file intact and, at worst, a hidden
///   `.NAME.kiln-tmp-PID-N` file next to it (no `.kiln` extension: `kiln fmt DIR` and
///   tools looking for `.kiln` files do not pick it up).
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Write through symbolic links, as editors do (a dangling link keeps its path).
    let path = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(_) => path.to_path_buf(),
    };
    let path = path.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let previous = std::fs::metadata(path).ok();
    if previous
        .as_ref()
        .is_some_and(|m| m.permissions().readonly())
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.kiln-tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        // Keep the original file's permissions.
        if let Some(meta) = &previous {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `files` (paths relative to `dir`) as the whole new content of `dir`,
/// atomically, as [`crate::emit::write_bundle`] does.
pub fn write_files(files: &[(PathBuf, String)], dir: &Path) -> io::Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".to_owned());
    std::fs::create_dir_all(&parent)?;
    let pid = std::process::id();
    let tmp = parent.join(format!(".{base}.kiln-new-{pid}"));
    let old = parent.join(format!(".{base}.kiln-old-{pid}"));
    // Leftovers of a crashed run with the same pid are ours to remove.
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::remove_dir_all(&old);
    recover(&parent, &base, dir);
    let result = write_tree(files, &tmp).and_then(|()| swap(&tmp, dir, &old));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Cleans up after runs that were killed (tests/atomic.rs kills them): their
/// `.BASE.kiln-new-PID` trees are deleted, and a previous bundle that a run killed
/// between the two renames of [`swap`] left at `.BASE.kiln-old-PID` is put back when
/// `dir` is missing (else deleted). Only the directories of processes that are gone are
/// touched, so concurrent runs keep theirs; where that cannot be told (no `/proc`),
/// nothing is touched.
fn recover(parent: &Path, base: &str, dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let new_prefix = format!(".{base}.kiln-new-");
    let old_prefix = format!(".{base}.kiln-old-");
    let mut olds = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let (is_new, pid) = if let Some(p) = name.strip_prefix(&new_prefix) {
            (true, p)
        } else if let Some(p) = name.strip_prefix(&old_prefix) {
            (false, p)
        } else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if is_new {
            let _ = std::fs::remove_dir_all(e.path());
        } else {
            olds.push(e.path());
        }
    }
    olds.sort();
    for old in olds {
        if std::fs::symlink_metadata(dir).is_err() && std::fs::rename(&old, dir).is_ok() {
            continue;
        }
        let _ = std::fs::remove_dir_all(&old);
    }
}

fn write_tree(files: &[(PathBuf, String)], tmp: &Path) -> io::Result<()> {
    std::fs::create_dir(tmp)?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (path, text) in files {
        let full = tmp.join(path);
        if let Some(d) = full.parent()
            && !dirs.iter().any(|x| x == d)
        {
            std::fs::create_dir_all(d)?;
            dirs.push(d.to_path_buf());
        }
        let mut f = std::fs::File::create(&full)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    for d in dirs.iter().map(PathBuf::as_path).chain([tmp]) {
        sync_dir(d)?;
    }
    Ok(())
}

/// Replaces `dir` with `tmp`: `dir` → `old`, `tmp` → `dir`, then `old` is deleted. If
/// the second rename fails, the first is undone.
fn swap(tmp: &Path, dir: &Path, old: &Path) -> io::Result<()> {
    let had_old = match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            std::fs::rename(dir, old)?;
            true
        }
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the output path exists and is not a directory",
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    if let Err(e) = std::fs::rename(tmp, dir) {
        if had_old {
            let _ = std::fs::rename(old, dir);
        }
        return Err(e);
    }
    if let Some(p) = dir.parent() {
        let _ = sync_dir(if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        });
    }
    if had_old {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

fn sync_dir(d: &Path) -> io::Result<()> {
    // Directories can be opened and synced on Unix; elsewhere this is best effort.
    match std::fs::File::open(d) {
        Ok(f) => f.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.kiln");
        std::fs::write(&p, "old").unwrap();
        write_file_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failure_keeps_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("a.kiln");
        assert!(write_file_atomic(&p, b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.kiln");
        let link = dir.path().join("link.kiln");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_file_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn refuses_a_read_only_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.kiln");
        std::fs::write(&p, "old").unwrap();
        let mut perms = std::fs::metadata(&p).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&p, perms).unwrap();
        let e = write_file_atomic(&p, b"new").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.kiln");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_file_atomic(&p, b"new").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn bounded_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.kiln");
        std::fs::write(&p, "0123456789").unwrap();
        assert_eq!(read_to_string_limited(&p, 10).unwrap(), "0123456789");
        let e = read_to_string_limited(&p, 9).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
        std::fs::write(&p, b"\xff").unwrap();
        let e = read_to_string_limited(&p, 9).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    }

    #[cfg(unix)]
    #[test]
    fn endless_device_is_bounded() {
        let p = Path::new("/dev/zero");
        if p.exists() {
            let e = read_to_string_limited(p, 1024 * 1024).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
        }
    }
}
