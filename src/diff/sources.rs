//! The before side: manifests read from files, directories or stdin (YAML streams,
//! `kind: List`, JSON), and the bundle of a file compiled at another git revision.
//!
//! Manifests are untrusted input. Reading is bounded: at most [`MAX_INPUT`] bytes, at
//! most [`MAX_DEPTH`] levels of nesting, and at most [`EXPANSION`] times the input's
//! size once YAML aliases are expanded (a "billion laughs" document fails with a clear
//! error before it can take the memory). Duplicate keys are rejected: which of two
//! values a tool keeps differs between tools, so the file says two things at once.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The largest manifest input read (all files of a directory together): 64 MiB.
pub const MAX_INPUT: usize = 64 << 20;
/// The deepest nesting accepted (Kubernetes objects are rarely deeper than 20).
pub const MAX_DEPTH: usize = 100;
/// How much larger than its text a document may grow through YAML aliases.
pub const EXPANSION: usize = 8;

/// A manifest input that cannot be used: the exit code 2 of `kiln diff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where: a path, `<stdin>`, `HEAD~1:app.kiln`.
    pub origin: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.origin, self.message)
    }
}

/// Why a source could not be read: bad input (exit 2) or I/O (exit 3).
#[derive(Debug)]
pub enum SourceError {
    /// The content is not usable manifests.
    Input(InputError),
    /// The file or directory could not be read.
    Io {
        /// The path.
        origin: String,
        /// The cause.
        error: std::io::Error,
    },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Input(e) => e.fmt(f),
            SourceError::Io { origin, error } => {
                let cause = match error.kind() {
                    std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
                    std::io::ErrorKind::InvalidData => "not UTF-8 text".to_owned(),
                    _ => error.to_string(),
                };
                write!(f, "cannot read `{origin}`: {cause}")
            }
        }
    }
}

/// Reads the manifests at `path`: a file, a directory (every `.yaml`, `.yml` and
/// `.json` file under it, in name order, hidden entries skipped), or `-` for stdin.
pub fn read_path(path: &Path) -> Result<Vec<Value>, SourceError> {
    if path == Path::new("-") {
        let text = read_bounded(std::io::stdin().lock(), "<stdin>")?;
        return parse_manifests(&text, "<stdin>").map_err(SourceError::Input);
    }
    let io = |error| SourceError::Io {
        origin: path.display().to_string(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let files = if meta.is_dir() {
        let mut files = Vec::new();
        manifest_files(path, &mut files, 0).map_err(io)?;
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    let mut total = 0usize;
    for file in files {
        let origin = file.display().to_string();
        let f = std::fs::File::open(&file).map_err(|error| SourceError::Io {
            origin: origin.clone(),
            error,
        })?;
        let text = read_bounded(f, &origin)?;
        total += text.len();
        if total > MAX_INPUT {
            return Err(SourceError::Input(InputError {
                origin: path.display().to_string(),
                message: format!("the manifests are larger than {} MiB", MAX_INPUT >> 20),
            }));
        }
        out.extend(parse_manifests(&text, &origin).map_err(SourceError::Input)?);
    }
    Ok(out)
}

/// Reads at most [`MAX_INPUT`] bytes of UTF-8 text.
fn read_bounded(r: impl Read, origin: &str) -> Result<String, SourceError> {
    let mut bytes = Vec::new();
    r.take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| SourceError::Io {
            origin: origin.to_owned(),
            error,
        })?;
    let input = |message: String| {
        SourceError::Input(InputError {
            origin: origin.to_owned(),
            message,
        })
    };
    if bytes.len() > MAX_INPUT {
        return Err(input(format!(
            "the input is larger than {} MiB",
            MAX_INPUT >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|_| input("the input is not UTF-8 text".to_owned()))
}

/// Every manifest file under `dir`, sorted, hidden entries skipped. Symbolic links to
/// directories are not followed (a link cycle would never end).
fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> std::io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let ft = e.file_type()?;
        if ft.is_dir() {
            manifest_files(&e.path(), out, depth + 1)?;
        } else if [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x)) {
            out.push(e.path());
        }
    }
    Ok(())
}

/// Parses manifest text: JSON (one value, when the text starts with `{` or `[`) or a YAML stream of documents; `kind: List` (and `*List` kinds with `items`) are
/// flattened; empty documents are skipped. Every result is an object with `kind`.
pub fn parse_manifests(text: &str, origin: &str) -> Result<Vec<Value>, InputError> {
    let err = |message: String| InputError {
        origin: origin.to_owned(),
        message,
    };
    let budget = Cell::new(text.len().saturating_mul(EXPANSION).saturating_add(1 << 16));
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let mut docs = Vec::new();
    if trimmed.starts_with(['{', '[']) {
        let mut de = serde_json::Deserializer::from_str(trimmed);
        let v = Node {
            budget: &budget,
            depth: 0,
        }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| err(format!("invalid JSON: {e}")))?;
        docs.push(v);
    } else {
        for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let v = Node {
                budget: &budget,
                depth: 0,
            }
            .deserialize(doc)
            .map_err(|e| err(format!("invalid YAML in document {}: {e}", i + 1)))?;
            docs.push(v);
        }
    }
    let mut out = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        flatten(doc, &mut out).map_err(|m| err(format!("document {}: {m}", i + 1)))?;
    }
    Ok(out)
}

/// Flattens lists; checks each manifest is an object with a kind.
fn flatten(v: Value, out: &mut Vec<Value>) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::Object(mut m) => {
            let kind = m
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if kind.ends_with("List")
                && let Some(Value::Array(items)) = m.remove("items")
            {
                // A typed list from the API (`DeploymentList`) omits kind and apiVersion
                // on its items; `kind: List` from kubectl has them.
                let item_kind = kind.strip_suffix("List").unwrap_or_default().to_owned();
                let api_version = m.get("apiVersion").cloned();
                for mut item in items {
                    if let Value::Object(im) = &mut item
                        && !item_kind.is_empty()
                    {
                        im.entry("kind")
                            .or_insert_with(|| Value::from(item_kind.clone()));
                        if let Some(av) = &api_version {
                            im.entry("apiVersion").or_insert_with(|| av.clone());
                        }
                    }
                    flatten(item, out)?;
                }
                return Ok(());
            }
            if kind.is_empty() {
                return Err("not a Kubernetes object: it has no `kind`".to_owned());
            }
            if !m.contains_key("apiVersion") {
                return Err(format!("the `{kind}` has no `apiVersion`"));
            }
            out.push(Value::Object(m));
            Ok(())
        }
        Value::Array(items) => {
            // A JSON array of objects.
            for item in items {
                flatten(item, out)?;
            }
            Ok(())
        }
        other => Err(format!(
            "not a Kubernetes object: a document is a {}",
            match other {
                Value::String(_) => "string",
                Value::Number(_) => "number",
                _ => "boolean",
            }
        )),
    }
}

/// Builds a [`Value`] while counting what it costs (one per node plus string bytes)
/// against a budget shared by the whole input, and rejecting duplicate keys and deep
/// nesting. Used for YAML and JSON alike.
struct Node<'b> {
    budget: &'b Cell<usize>,
    depth: usize,
}

impl Node<'_> {
    fn spend<E: de::Error>(&self, n: usize) -> Result<(), E> {
        match self.budget.get().checked_sub(n.saturating_add(1)) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(format!(
                "the document expands to more than {EXPANSION} times its size (YAML aliases?); refusing to read it"
            ))),
        }
    }

    fn child(&self) -> Node<'_> {
        Node {
            budget: self.budget,
            depth: self.depth + 1,
        }
    }

    fn deeper<E: de::Error>(&self) -> Result<(), E> {
        if self.depth >= MAX_DEPTH {
            Err(E::custom(format!("nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a manifest value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.spend(0)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.spend(0)?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.spend(0)?;
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.spend(0)?;
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite (`.inf`, `.nan`)"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.spend(v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.spend(v.len())?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.deeper()?;
        self.spend(0)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.child())? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.deeper()?;
        self.spend(0)?;
        let mut out = Map::new();
        while let Some(k) = map.next_key_seed(Key)? {
            self.spend(k.len())?;
            if out.contains_key(&k) {
                return Err(de::Error::custom(format!("duplicate key `{k}`")));
            }
            let v = map.next_value_seed(self.child())?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(
            "YAML tags (`!Name value`) are not supported in manifests",
        ))
    }
}

/// A map key: strings, and numbers or booleans written as keys (`8080: x`), as text.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Err(E::custom("a null map key"))
    }
}

/// The outcome of compiling a file at a git revision.
#[derive(Debug)]
pub enum AtRevision {
    /// It compiled: its objects.
    Compiled(crate::Bundle),
    /// The file does not exist at that revision: everything is added.
    Absent {
        /// The path inside the repository.
        path: String,
    },
    /// It does not compile at that revision: the diagnostics and their sources.
    Failed(crate::diag::Diagnostics, Box<crate::Source>),
}

/// Why `--base` could not be used.
#[derive(Debug)]
pub enum GitError {
    /// The user's input is wrong (exit 2): not in a repository, unknown revision.
    Input(String),
    /// Running git or writing the temporary tree failed (exit 3).
    Io(String),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::Input(m) | GitError::Io(m) => f.write_str(m),
        }
    }
}

/// Runs git in `dir`; stdout on success, the first line of stderr on failure.
fn git(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
) -> Result<Result<String, String>, GitError> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Never prompt (credentials, pagers) from inside a diff, and never fetch: Git LFS
    // files stay pointers (a .kiln file is never one).
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PAGER", "cat")
        .env("GIT_LFS_SKIP_SMUDGE", "1");
    let out = cmd
        .output()
        .map_err(|e| GitError::Io(format!("cannot run `git`: {e}")))?;
    if out.status.success() {
        Ok(Ok(String::from_utf8_lossy(&out.stdout)
            .trim_end()
            .to_owned()))
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Ok(Err(err.lines().next().unwrap_or("git failed").to_owned()))
    }
}

/// Compiles `file` as it was at git revision `rev`, in the repository that contains
/// it (whatever the working directory). The revision's whole tree is written to a
/// temporary directory through a temporary index, so files the source reads
/// (imports, `file(..)`) are those of the revision, and the repository's own
/// index and working tree are never touched.
pub fn compile_at_revision(
    file: &Path,
    rev: &str,
    options: &crate::Options,
) -> Result<AtRevision, GitError> {
    if rev.starts_with('-') || rev.is_empty() || rev.contains(['\n', '\0']) {
        return Err(GitError::Input(format!("`{rev}` is not a git revision")));
    }
    let abs = std::path::absolute(file)
        .map_err(|e| GitError::Io(format!("cannot resolve `{}`: {e}", file.display())))?;
    let dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    let dir = std::fs::canonicalize(&dir).map_err(|e| {
        GitError::Io(format!(
            "cannot read the directory `{}`: {e}",
            dir.display()
        ))
    })?;
    let top = git(&dir, &["rev-parse", "--show-toplevel"], &[])?.map_err(|_| {
        GitError::Input(format!(
            "`{}` is not inside a git repository, so `--base` has nothing to compare with",
            file.display()
        ))
    })?;
    let top = std::fs::canonicalize(&top).map_err(|e| GitError::Io(format!("`{top}`: {e}")))?;
    let file_name = abs.file_name().unwrap_or_default();
    let rel = dir
        .join(file_name)
        .strip_prefix(&top)
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .map_err(|_| {
            GitError::Input(format!(
                "`{}` is outside the repository at `{}`",
                file.display(),
                top.display()
            ))
        })?;
    let spec = format!("{rev}^{{commit}}");
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
        &[],
    )?
    .map_err(|_| {
        GitError::Input(format!(
            "unknown git revision `{rev}` (try a branch, a tag, a commit or `HEAD~1`)"
        ))
    })?;
    let object = format!("{commit}:{rel}");
    if git(&top, &["cat-file", "-e", &object], &[])?.is_err() {
        return Ok(AtRevision::Absent { path: rel });
    }
    let tmp = crate::fsio::TempDir::new("kiln-diff")
        .map_err(|e| GitError::Io(format!("cannot create a temporary directory: {e}")))?;
    let index = tmp.path().join("index");
    let tree = tmp.path().join("tree");
    let prefix = format!("{}/", tree.display());
    let env = [("GIT_INDEX_FILE", index.as_path())];
    git(&top, &["read-tree", &commit], &env)?
        .map_err(|e| GitError::Io(format!("cannot read the tree of `{rev}`: {e}")))?;
    git(
        &top,
        &[
            "checkout-index",
            "--all",
            "--force",
            &format!("--prefix={prefix}"),
        ],
        &env,
    )?
    .map_err(|e| GitError::Io(format!("cannot write the tree of `{rev}`: {e}")))?;
    let path = tree.join(&rel);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| GitError::Io(format!("cannot read `{rel}` at `{rev}`: {e}")))?;
    let mut map = crate::source::SourceMap::new();
    let entry = map.add(crate::source::SourceFile::new(
        format!("{rev}:{rel}"),
        Some(path),
        text,
    ));
    let source = crate::Source { map, entry };
    Ok(match crate::compile(&source, options) {
        Ok(bundle) => AtRevision::Compiled(bundle),
        Err(diags) => AtRevision::Failed(diags, Box::new(source)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_stream_list_and_json() {
        let y = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n";
        let v = parse_manifests(y, "x").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1]["kind"], "Secret");
        let j = r#"{"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"metadata":{"name":"d"}}]}"#;
        let v = parse_manifests(j, "x").unwrap();
        assert_eq!(v[0]["kind"], "Deployment");
        assert_eq!(v[0]["apiVersion"], "apps/v1");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let e = parse_manifests("apiVersion: v1\nkind: A\nkind: B\n", "x").unwrap_err();
        assert!(e.message.contains("duplicate key `kind`"), "{}", e.message);
        let e = parse_manifests(r#"{"apiVersion":"v1","kind":"A","kind":"B"}"#, "x").unwrap_err();
        assert!(e.message.contains("duplicate key `kind`"), "{}", e.message);
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut y = String::from(
            "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for i in 1..10 {
            let p = i - 1;
            y.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
            ));
        }
        let e = parse_manifests(&y, "x").unwrap_err();
        assert!(
            e.message.contains("expands") || e.message.contains("repetition limit"),
            "{}",
            e.message
        );
    }

    #[test]
    fn wide_alias_expansion_is_refused() {
        // Few alias jumps (serde_yaml's own limit does not trip) but a large anchored
        // node used many times: the budget must.
        let big: Vec<String> = (0..2000).map(|i| format!("v{i}")).collect();
        let mut y = format!(
            "apiVersion: v1\nkind: A\nbig: &b [{}]\nuses:\n",
            big.join(",")
        );
        for _ in 0..2000 {
            y.push_str("- *b\n");
        }
        let e = parse_manifests(&y, "x").unwrap_err();
        assert!(e.message.contains("expands"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let y = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        let e = parse_manifests(&y, "x").unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion"),
            "{}",
            e.message
        );
        let y = format!("a: {}1{}", "[".repeat(5000), "]".repeat(5000));
        let e = parse_manifests(&y, "x").unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion"),
            "{}",
            e.message
        );
    }

    #[test]
    fn non_objects_are_errors() {
        assert!(parse_manifests("- 1\n- 2\n", "x").is_err());
        assert!(parse_manifests("hello\n", "x").is_err());
        assert!(parse_manifests("metadata: {}\n", "x").is_err());
        assert!(parse_manifests("", "x").unwrap().is_empty());
    }
}
