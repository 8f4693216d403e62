//! Writing kiln text: a small tree of blocks and fields (what the mapping produces),
//! rendered with careful quoting, then laid out by the formatter (`syntax::fmt`), so the
//! result is the canonical layout `kiln fmt --check` expects.

use serde_json::Value;

/// Words that can never be bare names (docs/language.md, "Reserved words").
const RESERVED: [&str; 10] = [
    "import", "as", "template", "profile", "extends", "let", "from", "true", "false", "none",
];

/// One entry of a block.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// `key = expr` (the expression already rendered as kiln text).
    Field(String, String),
    /// A nested block: an index into [`Node::children`].
    Block(usize),
    /// A comment line (without `//`).
    Comment(String),
}

/// A block: `kind name { entries }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    /// `service`, `env`, `patch`, ...
    pub kind: String,
    /// The block's name (`web`), if it has one.
    pub name: Option<String>,
    /// Comment lines written above the block.
    pub comments: Vec<String>,
    /// What is inside, in order.
    pub entries: Vec<Entry>,
    /// The nested blocks, referred to by [`Entry::Block`].
    pub children: Vec<Node>,
}

impl Node {
    /// A block of `kind`, with an optional name.
    pub fn new(kind: &str, name: Option<&str>) -> Node {
        Node {
            kind: kind.to_owned(),
            name: name.map(str::to_owned),
            ..Node::default()
        }
    }

    /// Adds `key = expr` (the key quoted when it is not a plain name).
    pub fn field(&mut self, key: &str, expr: String) {
        self.entries.push(Entry::Field(key_text(key), expr));
    }

    /// Adds `a.b."c/d" = expr` (a dotted path, each segment quoted as needed).
    pub fn path_field(&mut self, path: &[String], expr: String) {
        let key: Vec<String> = path.iter().map(|s| key_text(s)).collect();
        self.entries.push(Entry::Field(key.join("."), expr));
    }

    /// Adds a nested block.
    pub fn block(&mut self, node: Node) {
        self.children.push(node);
        self.entries.push(Entry::Block(self.children.len() - 1));
    }

    /// Adds a comment line.
    pub fn comment(&mut self, text: &str) {
        self.entries.push(Entry::Comment(text.to_owned()));
    }

    /// The nested block of this kind (and name), created empty at the end when absent.
    pub fn child(&mut self, kind: &str, name: Option<&str>) -> &mut Node {
        let pos = self
            .children
            .iter()
            .position(|n| n.kind == kind && n.name.as_deref() == name);
        let i = match pos {
            Some(i) => i,
            None => {
                self.block(Node::new(kind, name));
                self.children.len() - 1
            }
        };
        &mut self.children[i]
    }

    /// Whether the block has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Whether `s` is a bare kiln name (`[A-Za-z_][A-Za-z0-9_-]*`, not reserved).
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !RESERVED.contains(&s)
}

/// A key as written: bare when it is a name, else a string.
pub fn key_text(s: &str) -> String {
    if is_name(s) { s.to_owned() } else { string(s) }
}

/// A kiln string literal holding exactly `s` (no interpolation).
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A list of strings: `["a", "b"]`.
pub fn string_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| string(s)).collect();
    format!("[{}]", parts.join(", "))
}

/// A JSON scalar or list of scalars as a kiln value for a `patch`; `None` for what kiln
/// cannot write (objects, negative numbers).
pub fn json(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("none".to_owned()),
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) => Some(string(s)),
        Value::Number(n) => {
            let t = n.to_string();
            // No sign in kiln's numbers, and no exponent.
            let plain = t.chars().all(|c| c.is_ascii_digit() || c == '.');
            (plain && !t.starts_with('.') && !t.ends_with('.')).then_some(t)
        }
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|i| match i {
                    Value::Array(_) | Value::Object(_) => None,
                    other => json(other),
                })
                .collect();
            parts.map(|p| format!("[{}]", p.join(", ")))
        }
        Value::Object(_) => None,
    }
}

/// Renders the blocks as kiln text (not yet laid out: `format` does that).
pub fn render(header: &[String], nodes: &[Node]) -> String {
    let mut out = String::new();
    for line in header {
        comment_lines(&mut out, line, 0);
    }
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 || !header.is_empty() {
            out.push('\n');
        }
        node(&mut out, n, 0);
    }
    out
}

/// Wraps a comment at about 90 columns (a long word stays whole).
fn wrap(text: &str) -> String {
    let mut out = String::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split(' ') {
            if !line.is_empty() && line.len() + word.len() + 1 > 90 {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn comment_lines(out: &mut String, text: &str, depth: usize) {
    let text = &wrap(text);
    for line in text.lines() {
        out.push_str(&"  ".repeat(depth));
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            out.push_str("// ");
            out.push_str(line);
            out.push('\n');
        }
    }
    if text.is_empty() {
        out.push_str(&"  ".repeat(depth));
        out.push_str("//\n");
    }
}

fn node(out: &mut String, n: &Node, depth: usize) {
    let pad = "  ".repeat(depth);
    for c in &n.comments {
        comment_lines(out, c, depth);
    }
    out.push_str(&pad);
    out.push_str(&n.kind);
    if let Some(name) = &n.name {
        out.push(' ');
        out.push_str(&key_text(name));
    }
    out.push_str(" {\n");
    let mut prev_block = false;
    // Fields first, then blocks: the layout of the docs' examples.
    let mut ordered: Vec<&Entry> = n
        .entries
        .iter()
        .filter(|e| !matches!(e, Entry::Block(_)))
        .collect();
    ordered.extend(n.entries.iter().filter(|e| matches!(e, Entry::Block(_))));
    for (i, e) in ordered.into_iter().enumerate() {
        match e {
            Entry::Field(k, v) => {
                if prev_block {
                    out.push('\n');
                }
                out.push_str(&format!("{pad}  {k} = {v}\n"));
                prev_block = false;
            }
            Entry::Comment(c) => {
                if prev_block {
                    out.push('\n');
                }
                comment_lines(out, c, depth + 1);
                prev_block = false;
            }
            Entry::Block(b) => {
                let Some(b) = n.children.get(*b) else {
                    continue;
                };
                if i > 0 {
                    out.push('\n');
                }
                node(out, b, depth + 1);
                prev_block = true;
            }
        }
    }
    out.push_str(&pad);
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\n${x}$y"), r#""a\"b\\c\n\${x}$y""#);
        assert_eq!(string("\u{1}"), r#""\u{1}""#);
    }

    #[test]
    fn keys_are_quoted_when_needed() {
        assert_eq!(key_text("web"), "web");
        assert_eq!(key_text("template"), "\"template\"");
        assert_eq!(key_text("0"), "\"0\"");
        assert_eq!(key_text("helm.sh/hook"), "\"helm.sh/hook\"");
    }

    #[test]
    fn json_values() {
        assert_eq!(json(&serde_json::json!(-1)), None);
        assert_eq!(json(&serde_json::json!(1.5)), Some("1.5".into()));
        assert_eq!(
            json(&serde_json::json!(["a", 1])),
            Some("[\"a\", 1]".into())
        );
        assert_eq!(json(&serde_json::json!({"a": 1})), None);
    }
}
