//! Reading and writing files so that hostile paths and failures never cost the user
//! data: reads are bounded (a `.kiln` path may name `/dev/zero` or a pipe that never
//! ends), and writes go to a temporary file next to the target, flushed to disk, then
//! renamed over the target (atomic on POSIX). docs/security.md lists what this
//! guarantees; tests/atomic.rs proves it (invalid input, read-only directory, disk
//! full, SIGKILL mid-write).

use crate::diag::{Diagnostic, codes};
use crate::source::{FileId, NotUtf8, SourceFile, Span};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Reads a whole UTF-8 file of at most `limit` bytes. Larger input (a huge file, a
/// device such as `/dev/zero`, an endless pipe) is refused with
/// [`std::io::ErrorKind::FileTooLarge`] after reading `limit + 1` bytes, never more;
/// invalid UTF-8 is [`std::io::ErrorKind::InvalidData`].
pub fn read_to_string_limited(path: &Path, limit: usize) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let hint = size_hint(&file);
    text_of(read_bytes_limited(file, limit, hint)?)
}

/// [`read_to_string_limited`] for any reader (standard input).
pub fn read_limited(reader: impl Read, limit: usize) -> std::io::Result<String> {
    text_of(read_bytes_limited(reader, limit, 0)?)
}

/// The size a file says it has, to read it into one allocation instead of a doubling
/// vector (a 5 MB source was copied four times, on the critical path before parsing).
/// Only a hint: devices and `/proc` files say 0, and the read stays bounded by `take`.
fn size_hint(file: &std::fs::File) -> u64 {
    file.metadata().map_or(0, |m| m.len())
}

fn text_of(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let byte = e.as_bytes().get(at).copied().unwrap_or_default();
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is not valid UTF-8 (byte 0x{byte:02X} at offset {at})"),
        )
    })
}

/// The bytes of `reader`, at most `limit` (else [`std::io::ErrorKind::FileTooLarge`]).
fn read_bytes_limited(reader: impl Read, limit: usize, hint: u64) -> std::io::Result<Vec<u8>> {
    // One byte more than the file claims, so that the read which finds the end needs no
    // new allocation.
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(limit).min(limit) + 1);
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
    Ok(bytes)
}

/// A source file's text, bounded like [`read_limited`], where input that is not UTF-8 is
/// not an I/O error but a file to report on: the text is then a lossy copy (exact up to
/// the first invalid byte) and [`NotUtf8`] says where, so that the caller reports
/// [`codes::NOT_UTF8`] at that place instead of parsing it (see [`not_utf8_diagnostic`]).
pub fn read_source_limited(
    reader: impl Read,
    limit: usize,
) -> std::io::Result<(String, Option<NotUtf8>)> {
    source_of(read_bytes_limited(reader, limit, 0)?)
}

/// [`read_source_limited`] for a file, read into one allocation of the size it says it
/// has.
pub fn read_source_file(
    file: std::fs::File,
    limit: usize,
) -> std::io::Result<(String, Option<NotUtf8>)> {
    let hint = size_hint(&file);
    source_of(read_bytes_limited(file, limit, hint)?)
}

fn source_of(bytes: Vec<u8>) -> std::io::Result<(String, Option<NotUtf8>)> {
    Ok(match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let len = e
                .utf8_error()
                .error_len()
                .unwrap_or(e.as_bytes().len() - at);
            let bad = e.as_bytes()[at..at + len].to_vec();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let offset = at as u32;
            (text, Some(NotUtf8 { offset, bytes: bad }))
        }
    })
}

/// The [`codes::NOT_UTF8`] diagnostic of a file read by [`read_source_limited`] that is
/// not UTF-8 (None when it is).
pub fn not_utf8_diagnostic(id: FileId, file: &SourceFile) -> Option<Diagnostic> {
    let bad = file.not_utf8.as_ref()?;
    let start = bad.offset as usize;
    // The lossy text holds U+FFFD where the bad bytes were.
    let end = file.text[start.min(file.text.len())..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    let shown: Vec<String> = bad.bytes.iter().map(|b| format!("0x{b:02X}")).collect();
    Some(
        Diagnostic::new(
            codes::NOT_UTF8,
            id,
            Span::new(start, end),
            format!(
                "the file is not valid UTF-8: {} at byte offset {start}",
                shown.join(" ")
            ),
        )
        .label("not UTF-8")
        .note("kiln reads UTF-8 text only; nothing in this file was parsed")
        .help("convert the file to UTF-8 (for example `iconv -f LATIN1 -t UTF-8`), or remove the byte"),
    )
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
    write_files_swapped(files, dir).map(|_| ())
}

/// [`write_files`], saying how the new tree was put in place (for tests).
fn write_files_swapped(files: &[(PathBuf, String)], dir: &Path) -> io::Result<Swapped> {
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

/// Threads for file-system work. The work waits on the disk, not the CPU: on a slow
/// or busy disk each create, sync or unlink waits milliseconds, and sixteen waits at
/// once take the time of one (docs/performance.md, "Writing a bundle directory").
const IO_THREADS: usize = 16;

/// Runs `work` on every item, [`IO_THREADS`] at a time; the first error stops the
/// items not yet started and is returned.
fn in_parallel<T: Sync>(items: &[T], work: impl Fn(&T) -> io::Result<()> + Sync) -> io::Result<()> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..items.len().clamp(1, IO_THREADS))
            .map(|_| {
                scope.spawn(|| -> io::Result<()> {
                    while !failed.load(Ordering::Relaxed) {
                        let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        if let Err(e) = work(item) {
                            failed.store(true, Ordering::Relaxed);
                            return Err(e);
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        // Join them all before returning, then report the first error.
        let results: Vec<io::Result<()>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a file-system thread panicked")))
            })
            .collect();
        results.into_iter().collect()
    })
}

/// Writes every file of the new tree, one directory per task in parallel, then makes
/// the whole tree durable in one step ([`sync_tree`]) rather than one `fsync` per file
/// as each is written: 10,000 apps took 167 s when each of their files was synced on
/// its own. Nothing is visible at `dir` until [`swap`], after the sync.
fn write_tree(files: &[(PathBuf, String)], tmp: &Path) -> io::Result<()> {
    std::fs::create_dir(tmp)?;
    // Files grouped by directory, in order of first appearance, so each task creates
    // its directory once.
    let mut groups: Vec<(PathBuf, Vec<&(PathBuf, String)>)> = Vec::new();
    let mut index: std::collections::HashMap<PathBuf, usize> = Default::default();
    for f in files {
        let full = tmp.join(&f.0);
        let dir = full.parent().unwrap_or(tmp).to_path_buf();
        let i = *index.entry(dir.clone()).or_insert_with(|| {
            groups.push((dir, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(f);
    }
    in_parallel(&groups, |(dir, group)| {
        std::fs::create_dir_all(dir)?;
        for (path, text) in group {
            // `write_all` reports a full disk or a file size limit here; the data
            // reaches the disk in `sync_tree`, which reports write-back failures.
            let mut f = std::fs::File::create(tmp.join(path))?;
            f.write_all(text.as_bytes())?;
        }
        Ok(())
    })?;
    let written: Vec<PathBuf> = files.iter().map(|(p, _)| tmp.join(p)).collect();
    let mut dirs: Vec<PathBuf> = groups.into_iter().map(|(d, _)| d).collect();
    dirs.push(tmp.to_path_buf());
    sync_tree(tmp, &written, &dirs)
}

/// Makes the files and directories of a new tree durable. On Linux one `syncfs(2)` on
/// the tree's file system flushes them all (and reports write-back errors since Linux
/// 5.8); where that is unavailable, every file is synced, several at a time (the disk
/// queue does the batching), then every directory (parents of nested directories
/// included: `dirs` lists every directory that was created).
fn sync_tree(tmp: &Path, files: &[PathBuf], dirs: &[PathBuf]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    if !portable() {
        use std::os::fd::AsRawFd;
        let d = std::fs::File::open(tmp)?;
        // SAFETY: `d` is an open descriptor for the whole call; syncfs reads nothing else.
        if unsafe { libc::syncfs(d.as_raw_fd()) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ENOSYS) {
            return Err(e);
        }
    }
    in_parallel(files, |f| std::fs::File::open(f)?.sync_all())?;
    // Intermediate directories made by `create_dir_all` are synced too.
    let all: std::collections::BTreeSet<&Path> = dirs
        .iter()
        .flat_map(|d| d.ancestors().take_while(|a| a.starts_with(tmp)))
        .collect();
    let all: Vec<&Path> = all.into_iter().collect();
    in_parallel(&all, |d| sync_dir(d))
}

/// Deletes a tree, its top-level entries in parallel (a bundle has one directory per
/// app; unlinks in different directories do not wait for each other).
fn remove_tree(dir: &Path) -> io::Result<()> {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    in_parallel(&entries, |p| match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(_) => Ok(()),
    })?;
    std::fs::remove_dir(dir)
}

thread_local! {
    /// Test switch (see [`force_portable_writes`]), per thread so that tests running
    /// side by side do not see each other's setting.
    static PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether to use the portable paths (file-by-file sync, two renames) where Linux has
/// better ones: set by [`force_portable_writes`] on this thread, or for the process by
/// the `KILN_TEST_PORTABLE_WRITES` environment variable (tests/atomic.rs runs the binary
/// both ways). Only tests set either.
fn portable() -> bool {
    static ENV: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    PORTABLE.with(std::cell::Cell::get)
        || *ENV.get_or_init(|| std::env::var_os("KILN_TEST_PORTABLE_WRITES").is_some())
}

/// Makes [`write_files`] on this thread use its portable paths; for tests.
#[doc(hidden)]
pub fn force_portable_writes(on: bool) {
    PORTABLE.with(|p| p.set(on));
}

/// How [`swap`] put the new tree in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swapped {
    /// There was no previous directory: one rename.
    Created,
    /// `renameat2(RENAME_EXCHANGE)`: one atomic step, `dir` never missing.
    Exchanged,
    /// Two renames (`dir` → `old`, `tmp` → `dir`): a crash between them leaves `dir`
    /// missing and the previous tree at `old`, which [`recover`] puts back.
    Renamed,
}

/// Exchanges two paths atomically (Linux 3.15+, on file systems that support it).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both strings are NUL-terminated and live for the call. The raw syscall,
    // not glibc's wrapper (added in 2.28), so older C libraries work too.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Replaces the directory `dir` with `tmp`. When `dir` exists: on Linux one atomic
/// exchange, then the previous tree (now at `tmp`) is deleted; where the exchange is not
/// supported (another OS; a file system or sandbox that answers EINVAL, ENOSYS,
/// EOPNOTSUPP or EPERM), `dir` → `old`, `tmp` → `dir`, then `old` is deleted, and if the
/// second rename fails the first is undone.
fn swap(tmp: &Path, dir: &Path, old: &Path) -> io::Result<Swapped> {
    let swapped = match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => swap_existing(tmp, dir, old)?,
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the output path exists and is not a directory",
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::rename(tmp, dir)?;
            Swapped::Created
        }
        Err(e) => return Err(e),
    };
    if let Some(p) = dir.parent() {
        let _ = sync_dir(if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        });
    }
    // The previous tree, now hidden, is deleted; if that fails or is cut short, the
    // next run's `recover` finishes it.
    match swapped {
        Swapped::Exchanged => {
            let _ = remove_tree(tmp).or_else(|_| std::fs::remove_dir_all(tmp));
        }
        Swapped::Renamed => {
            let _ = remove_tree(old).or_else(|_| std::fs::remove_dir_all(old));
        }
        Swapped::Created => {}
    }
    Ok(swapped)
}

fn swap_existing(tmp: &Path, dir: &Path, old: &Path) -> io::Result<Swapped> {
    #[cfg(target_os = "linux")]
    if !portable() {
        match exchange(tmp, dir) {
            Ok(()) => return Ok(Swapped::Exchanged),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP | libc::EPERM)
                ) => {}
            Err(e) => return Err(e),
        }
    }
    std::fs::rename(dir, old)?;
    if let Err(e) = std::fs::rename(tmp, dir) {
        let _ = std::fs::rename(old, dir);
        return Err(e);
    }
    Ok(Swapped::Renamed)
}

fn sync_dir(d: &Path) -> io::Result<()> {
    // Directories can be opened and synced on Unix; elsewhere this is best effort.
    match std::fs::File::open(d) {
        Ok(f) => f.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// A fresh directory under the system's temporary directory, removed with everything in
/// it when dropped (`kiln diff --base` checks a revision out there, `kiln import` checks
/// its text next to its raw files there).
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// Creates `PREFIX-PID-NANOS-N` under the temporary directory.
    pub(crate) fn new(prefix: &str) -> io::Result<TempDir> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        for attempt in 0..100u32 {
            let p = base.join(format!("{prefix}-{}-{nanos}-{attempt}", std::process::id()));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("cannot create a temporary directory"))
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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

    fn bundle(tag: &str) -> Vec<(PathBuf, String)> {
        (0..20)
            .map(|i| {
                (
                    PathBuf::from(format!("app{i}/0{}-x.yaml", i % 3)),
                    format!("{tag} {i}\n"),
                )
            })
            .collect()
    }

    fn read_tree(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        for app in std::fs::read_dir(dir).unwrap().flatten() {
            for f in std::fs::read_dir(app.path()).unwrap().flatten() {
                let rel = f.path().strip_prefix(dir).unwrap().to_path_buf();
                out.push((rel, std::fs::read_to_string(f.path()).unwrap()));
            }
        }
        out.sort();
        out
    }

    /// Both ways of putting a bundle in place: the Linux one (syncfs, then an atomic
    /// exchange) and the portable one (file-by-file sync, two renames).
    #[test]
    fn bundle_writes_replace_the_whole_tree() {
        for portable_paths in [false, true] {
            force_portable_writes(portable_paths);
            let root = tempfile::tempdir().unwrap();
            let out = root.path().join("out");
            assert_eq!(
                write_files_swapped(&bundle("one"), &out).unwrap(),
                Swapped::Created
            );
            let mut second = bundle("two");
            second.truncate(5);
            let how = write_files_swapped(&second, &out).unwrap();
            let expected = if cfg!(target_os = "linux") && !portable_paths {
                Swapped::Exchanged
            } else {
                Swapped::Renamed
            };
            assert_eq!(how, expected);
            let mut second = second.clone();
            second.sort();
            assert_eq!(read_tree(&out), second, "portable: {portable_paths}");
            // Nothing left next to it: no new, no old tree.
            assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
            force_portable_writes(false);
        }
    }

    #[test]
    fn bundle_write_refuses_a_file_in_the_way() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::write(&out, "a file").unwrap();
        let e = write_files(&bundle("x"), &out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "a file");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
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
