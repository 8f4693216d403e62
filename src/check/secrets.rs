//! "This looks like a secret": plain `env` values that are probably credentials. A
//! plain value goes into a ConfigMap, readable by anyone who can read the namespace's
//! ConfigMaps and printed by `kubectl describe`; a credential belongs in a Secret,
//! referred to with `secret("name", "key")`.
//!
//! The check reads the syntax tree (every `env` block at any depth, and profile fields
//! `app.….env.KEY = "value"`), so it needs nothing from the model and runs even when
//! other checks fail. The warning never repeats the value: not in the message, the
//! labels or the help, and the source line shown under it has the value redacted.

use crate::diag::{Diagnostic, codes};
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// Deeper blocks are not walked (the parser refuses more than 64 levels anyway).
const MAX_DEPTH: usize = 64;

/// The K0912 warnings of a file, in source order.
#[cfg(test)]
pub(crate) fn plain_secrets(file: FileId, tree: &ast::File) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for i in &tree.items {
        item(file, i, &mut out);
    }
    out
}

/// [`plain_secrets`], with the items read in parallel (a few dozen per task) and the
/// warnings concatenated in source order: the same list whatever the thread count.
pub(crate) fn plain_secrets_par(file: FileId, tree: &ast::File) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    tree.items
        .par_iter()
        .with_min_len(32)
        .fold(Vec::new, |mut out, i| {
            item(file, i, &mut out);
            out
        })
        .reduce(Vec::new, |mut a, b| {
            a.extend(b);
            a
        })
}

/// The K0912 warnings of one top-level item, appended to `out`.
fn item(file: FileId, item: &ast::Item, out: &mut Vec<Diagnostic>) {
    {
        match item {
            ast::Item::Block(b) => block(file, b, 0, out),
            ast::Item::Template(t) => block(file, &t.body, 0, out),
            ast::Item::Profile(p) => {
                for f in &p.fields {
                    // `app.env.KEY = "..."` or `app.web.env.KEY = "..."`.
                    let n = f.path.len();
                    if n >= 2 && f.path[n - 2].name == "env" {
                        field(file, &f.path[n - 1].name, f.path[n - 1].span, &f.value, out);
                    }
                }
            }
            ast::Item::Let(l) => binding(file, l, out),
            ast::Item::Import(_) => {}
        }
    }
}

fn block(file: FileId, b: &ast::Block, depth: usize, out: &mut Vec<Diagnostic>) {
    if depth > MAX_DEPTH {
        return;
    }
    let is_env = b.kind.name == "env";
    for e in &b.entries {
        match e {
            ast::Entry::Field(f) if is_env && f.path.len() == 1 => {
                field(file, &f.path[0].name, f.path[0].span, &f.value, out);
            }
            ast::Entry::Block(inner) => block(file, inner, depth + 1, out),
            ast::Entry::Let(l) => binding(file, l, out),
            _ => {}
        }
    }
}

/// `let NAME = "value"`: a credential bound to a name reaches the bundle wherever the
/// name is used (`DB_PASSWORD = db_password`, `"${db_password}"`), so it is warned
/// about at the binding, by the same rules as an env value.
fn binding(file: FileId, l: &ast::Let, out: &mut Vec<Diagnostic>) {
    let ast::ExprKind::Str(s) = &l.value.kind else {
        return;
    };
    let Some(text) = plain(s) else {
        return;
    };
    let why = match shape(&text) {
        Some(shape) => shape,
        None if credential_name(&l.name.name) && !placeholder(&text) => {
            "its name says it is a credential"
        }
        None => return,
    };
    let name = &l.name.name;
    out.push(
        Diagnostic::new(
            codes::PLAIN_SECRET,
            file,
            l.value.span,
            format!("`{name}` looks like a secret written as plain text"),
        )
        .label("this value is written into the bundle wherever the name is used")
        .redact(file, l.value.span)
        .secondary(file, l.name.span, why)
        .help(format!(
            "store the value in a Secret and use `secret(\"NAME\", \"KEY\")` where `{name}` is used"
        )),
    );
}

/// One `KEY = value`: a warning when the value is a literal string (without
/// interpolation) that looks like a credential by its name or by its shape.
fn field(file: FileId, key: &str, key_span: Span, value: &ast::Expr, out: &mut Vec<Diagnostic>) {
    let ast::ExprKind::Str(s) = &value.kind else {
        return;
    };
    let Some(text) = plain(s) else {
        return;
    };
    let why = match shape(&text) {
        Some(shape) => shape,
        None if credential_name(key) && !placeholder(&text) => "its name says it is a credential",
        None => return,
    };
    out.push(
        Diagnostic::new(
            codes::PLAIN_SECRET,
            file,
            value.span,
            format!("`{key}` looks like a secret written as plain text"),
        )
        .label("this value goes into a ConfigMap")
        // Not even the snippet under the message shows the value.
        .redact(file, value.span)
        .secondary(file, key_span, why)
        .help(format!(
            "store the value in a Secret and write `{key} = secret(\"NAME\", \"KEY\")`"
        )),
    );
}

/// The text of a literal without interpolation ([`ast::StrLit::as_plain`]), borrowed
/// when it is one piece (the usual case).
fn plain(s: &ast::StrLit) -> Option<std::borrow::Cow<'_, str>> {
    match s.parts.as_slice() {
        [] => Some("".into()),
        [ast::StrPart::Text(t, _)] => Some(t.as_str().into()),
        _ => s.as_plain().map(Into::into),
    }
}

/// Names that hold credentials. The same words `kiln diff` masks values by, so what
/// diff hides and what the checker warns about agree.
///
/// The words are matched without regard to ASCII case, in one pass over the name that
/// tries only the words starting with the byte at hand (every env key of a large file
/// goes through here).
pub(crate) fn credential_name(name: &str) -> bool {
    let b = name.as_bytes();
    let at = |i: usize, w: &[u8]| {
        b.get(i..i + w.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(w))
    };
    // Dispatched on the first two bytes, case folded (`| 0x20` lowercases letters and
    // keeps `_` distinct), so that most positions compare no word; the words themselves
    // are then compared exactly. Every word is longer than two bytes.
    let word_at = |i: usize, pair: &[u8]| match (pair[0] | 0x20, pair[1] | 0x20) {
        (b'p', b'a') => at(i, b"PASSWORD") || at(i, b"PASSWD") || at(i, b"PASSPHRASE"),
        (b'p', b'r') => at(i, b"PRIVATE_KEY"),
        (b's', b'e') => at(i, b"SECRET"),
        (b't', b'o') => at(i, b"TOKEN"),
        (b'c', b'r') => at(i, b"CREDENTIAL"),
        (b'a', b'p') => at(i, b"APIKEY") || at(i, b"API_KEY"),
        (b'a', b'c') => at(i, b"ACCESS_KEY"),
        (0x7f, b'k') => at(i, b"_KEY_"),
        _ => false,
    };
    // Most bytes start no word: one table lookup skips them (this runs on every env key).
    b.windows(2)
        .enumerate()
        .any(|(i, pair)| WORD_START[pair[0] as usize] && word_at(i, pair))
        || (b.len() >= 4 && at(b.len() - 4, b"_KEY"))
}

/// The bytes a word of [`credential_name`] starts with, in either case.
static WORD_START: [bool; 256] = {
    let mut t = [false; 256];
    let starts = b"pPsStTcCaA_";
    let mut i = 0;
    while i < starts.len() {
        t[starts[i] as usize] = true;
        i += 1;
    }
    t
};

/// Values that cannot be a credential whatever the name says: empty, a number, a
/// boolean, or a path or URL without a password in it (`TOKEN_FILE = "/run/token"`).
fn placeholder(v: &str) -> bool {
    let v = v.trim();
    v.is_empty()
        || v.chars().all(|c| c.is_ascii_digit() || c == '.')
        || ["true", "false", "yes", "no", "none", "null"].contains(&v.to_ascii_lowercase().as_str())
        || v.starts_with('/')
        || (v.contains("://") && url_password(v).is_none())
}

/// Values that are credentials whatever their name: a URL with a password, a PEM
/// private key, an AWS access key id.
fn shape(v: &str) -> Option<&'static str> {
    if url_password(v).is_some() {
        return Some("a URL with a password in it");
    }
    if find(v, "-----BEGIN").is_some() && v.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if aws_key_id(v) {
        return Some("an AWS access key id");
    }
    None
}

/// The password of `scheme://user:password@host...`, if there is one (and it is not
/// an interpolation placeholder).
fn url_password(v: &str) -> Option<&str> {
    let rest = &v[find(v, "://")? + 3..];
    // By byte: every delimiter is ASCII, so each cut is at a character boundary.
    let rb = rest.as_bytes();
    let end = rb
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rb.len());
    let at = memchr::memrchr(b'@', rb.get(..end)?)?;
    let colon = memchr::memchr(b':', rb.get(..at)?)?;
    let password = rest.get(colon + 1..at)?;
    (!password.is_empty()).then_some(password)
}

/// Where `needle` first occurs in `v`: a plain byte scan, cheaper than a substring
/// searcher's set-up on the short values every env var has.
fn find(v: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    let first = *n.first()?;
    let b = v.as_bytes();
    (0..b.len().saturating_sub(n.len() - 1))
        .filter(|&i| b[i] == first)
        .find(|&i| b[i..].starts_with(n))
}

/// `AKIA` or `ASIA` followed by 16 upper-case letters or digits, as a whole word.
fn aws_key_id(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 20 {
        return false;
    }
    (0..b.len()).filter(|&i| b[i] == b'A').any(|i| {
        let word = |j: usize| {
            b.get(j)
                .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        };
        (b[i..].starts_with(b"AKIA") || b[i..].starts_with(b"ASIA"))
            && (i == 0 || !word(i - 1))
            && (i + 4..i + 20).all(word)
            && !word(i + 20)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(text: &str) -> Vec<Diagnostic> {
        let (tree, d) = crate::syntax::parse(FileId(0), text);
        assert!(!d.has_errors());
        plain_secrets(FileId(0), &tree)
    }

    #[test]
    fn names_and_shapes() {
        let text = r#"
app a {
  env {
    DB_PASSWORD = "hunter2-canary"
    DATABASE_URL = "postgres://app:s3cret-canary@db:5432/app"
    PLAIN_URL = "postgres://app@db:5432/app"
    API_TOKEN = secret("api", "token")
    TOKEN_TTL = "3600"
    TOKEN_FILE = "/run/secrets/token"
    LOG_LEVEL = "debug"
    AWS_ID = "AKIAABCDEFGHIJKLMNOP"
    WITH_INTERP = "${namespace}-password"
  }
  service web {
    env { SESSION_SECRET = "abcdef-canary" }
  }
}
profile prod {
  a.env.STRIPE_API_KEY = "sk_live_canary"
  a.web.env.LOG_LEVEL = "info"
}
"#;
        let w = warnings(text);
        let keys: Vec<&str> = w
            .iter()
            .map(|d| {
                let m = &d.message;
                &m[1..m[1..].find('`').map_or(1, |i| i + 1)]
            })
            .collect();
        assert_eq!(
            keys,
            [
                "DB_PASSWORD",
                "DATABASE_URL",
                "AWS_ID",
                "SESSION_SECRET",
                "STRIPE_API_KEY"
            ]
        );
        for d in &w {
            let said = format!(
                "{} {} {:?} {:?}",
                d.message, d.primary.message, d.secondary, d.help
            );
            assert!(
                !said.contains("canary") && !said.contains("AKIAABCD"),
                "{said}"
            );
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(url_password("redis://:pw@h:6379/0"), Some("pw"));
        assert_eq!(url_password("https://user@h/x:y@z"), None);
        assert_eq!(url_password("no url"), None);
        assert_eq!(find("a://b", "://"), Some(1));
        assert_eq!(find("ab", "://"), None);
        assert_eq!(find("x-----BEGIN", "-----BEGIN"), Some(1));
        assert!(aws_key_id("x AKIAABCDEFGHIJKLMNOP y"));
        assert!(!aws_key_id("AKIAABCDEFGHIJKLMNOPQ"));
        assert!(!aws_key_id("AKIA"));
    }
}
