//! A small YAML reader for `raw` objects: the subset Kubernetes manifests use (block
//! mappings and sequences, flow `[..]`/`{..}` on one line, plain, quoted and block `|`
//! `>` scalars, comments, one document). Anything else (anchors, aliases, tags,
//! multi-line flow collections, several documents) is refused with a message rather
//! than guessed. JSON is read as JSON.

use serde_json::{Map, Value};

/// Nesting deeper than this is refused (no unbounded recursion on input).
const MAX_DEPTH: usize = 64;

/// Parses one YAML (or JSON) document into a JSON value.
pub fn parse(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut docs = 0;
    for (no, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        if raw.starts_with("---") && raw[3..].trim().is_empty() {
            docs += 1;
            if docs > 1 || !lines.is_empty() {
                return Err("the file holds several documents".into());
            }
            continue;
        }
        if raw.starts_with("...") && raw[3..].trim().is_empty() {
            break;
        }
        if raw.contains('\t') && raw.trim_start_matches(' ').starts_with('\t') {
            return Err(format!("line {}: tabs cannot indent YAML", no + 1));
        }
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        lines.push(Line {
            no: no + 1,
            indent,
            text: raw[indent..].to_string(),
        });
    }
    let lines = split_dashes(lines);
    let mut p = Parser { lines, pos: 0 };
    p.skip_blank();
    if p.pos >= p.lines.len() {
        return Err("the file is empty".into());
    }
    let indent = p.lines[p.pos].indent;
    let v = p.node(indent, 0)?;
    p.skip_blank();
    if let Some(l) = p.lines.get(p.pos) {
        return Err(format!("line {}: unexpected content", l.no));
    }
    Ok(v)
}

#[derive(Debug, Clone)]
struct Line {
    no: usize,
    indent: usize,
    /// The text after the indentation (comments are stripped when read).
    text: String,
}

fn is_blank(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.starts_with('#')
}

/// `- key: v` becomes `-` and `key: v` two columns in, so a sequence item's content is
/// always on its own (virtual) line.
fn split_dashes(lines: Vec<Line>) -> Vec<Line> {
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let mut indent = l.indent;
        let mut text = l.text.as_str();
        loop {
            if text == "-" || (text.starts_with("- ") && !is_blank(text)) {
                out.push(Line {
                    no: l.no,
                    indent,
                    text: "-".into(),
                });
                let rest = text[1..].trim_start_matches(' ');
                if rest.is_empty() || rest.starts_with('#') {
                    break;
                }
                indent += text.len() - rest.len();
                text = rest;
                continue;
            }
            out.push(Line {
                no: l.no,
                indent,
                text: text.to_string(),
            });
            break;
        }
    }
    out
}

/// Removes a trailing ` # comment` outside quotes.
fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut sq, mut dq) = (false, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' if !dq => sq = !sq,
            b'"' if !sq => dq = !dq,
            b'\\' if dq => i += 1,
            b'#' if !sq && !dq && (i == 0 || b[i - 1] == b' ') => return s[..i].trim_end(),
            _ => {}
        }
        i += 1;
    }
    s.trim_end()
}

/// Splits `key: value` (outside quotes); None if the line is not a mapping entry.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let (mut sq, mut dq) = (false, false);
    let mut i = 0;
    if matches!(b.first(), Some(b'[' | b'{')) {
        return None;
    }
    while i < b.len() {
        match b[i] {
            b'\'' if !dq => sq = !sq,
            b'"' if !sq => dq = !dq,
            b'\\' if dq => i += 1,
            b':' if !sq && !dq && (i + 1 == b.len() || b[i + 1] == b' ') => {
                return Some((s[..i].trim(), s[i + 1..].trim()));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

struct Parser {
    lines: Vec<Line>,
    pos: usize,
}

impl Parser {
    fn skip_blank(&mut self) {
        while self.lines.get(self.pos).is_some_and(|l| is_blank(&l.text)) {
            self.pos += 1;
        }
    }

    /// The node whose first line is at `pos`, indented `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("the object is nested too deeply".into());
        }
        self.skip_blank();
        let Some(l) = self.lines.get(self.pos) else {
            return Ok(Value::Null);
        };
        let no = l.no;
        let text = strip_comment(&l.text).to_string();
        if text == "-" {
            return self.sequence(indent, depth);
        }
        if split_key(&text).is_some() {
            return self.mapping(indent, depth);
        }
        self.pos += 1;
        scalar_or_flow(&text, no)
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Result<Value, String> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            let Some(l) = self.lines.get(self.pos) else {
                break;
            };
            if l.indent != indent || l.text != "-" {
                if l.indent > indent {
                    return Err(format!("line {}: unexpected indentation", l.no));
                }
                break;
            }
            self.pos += 1;
            self.skip_blank();
            match self.lines.get(self.pos) {
                Some(n) if n.indent > indent => {
                    let ni = n.indent;
                    items.push(self.node(ni, depth + 1)?);
                }
                _ => items.push(Value::Null),
            }
        }
        Ok(Value::Array(items))
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Result<Value, String> {
        let mut map = Map::new();
        loop {
            self.skip_blank();
            let Some(l) = self.lines.get(self.pos) else {
                break;
            };
            if l.indent < indent {
                break;
            }
            let no = l.no;
            if l.indent > indent {
                return Err(format!("line {no}: unexpected indentation"));
            }
            let text = strip_comment(&l.text).to_string();
            let Some((key, rest)) = split_key(&text) else {
                if text == "-" {
                    break;
                }
                return Err(format!("line {no}: expected `key: value`"));
            };
            let key = match scalar_or_flow(key, no)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if map.contains_key(&key) {
                return Err(format!("line {no}: key `{key}` appears twice"));
            }
            self.pos += 1;
            let value = if rest.is_empty() {
                self.skip_blank();
                match self.lines.get(self.pos) {
                    // A sequence may sit at the key's own indentation.
                    Some(n) if n.indent > indent || (n.indent == indent && n.text == "-") => {
                        let ni = n.indent;
                        self.node(ni, depth + 1)?
                    }
                    _ => Value::Null,
                }
            } else if rest.starts_with('|') || rest.starts_with('>') {
                self.block_scalar(rest, indent, no)?
            } else {
                scalar_or_flow(rest, no)?
            };
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    /// `|` (literal) and `>` (folded) scalars, with `-`/`+` chomping.
    fn block_scalar(&mut self, header: &str, indent: usize, no: usize) -> Result<Value, String> {
        let folded = header.starts_with('>');
        let chomp = &header[1..];
        let (strip, keep) = match chomp {
            "" => (false, false),
            "-" => (true, false),
            "+" => (false, true),
            _ => {
                return Err(format!(
                    "line {no}: unsupported block scalar header `{header}`"
                ));
            }
        };
        let mut body: Vec<String> = Vec::new();
        let mut block_indent = None;
        while let Some(l) = self.lines.get(self.pos) {
            if l.text.trim().is_empty() {
                body.push(String::new());
                self.pos += 1;
                continue;
            }
            if l.indent <= indent {
                break;
            }
            let bi = *block_indent.get_or_insert(l.indent);
            if l.indent < bi {
                break;
            }
            body.push(format!("{}{}", " ".repeat(l.indent - bi), l.text));
            self.pos += 1;
        }
        let trailing = body.iter().rev().take_while(|s| s.is_empty()).count();
        let content = &body[..body.len() - trailing];
        let mut text = if folded {
            let mut out = String::new();
            for (i, line) in content.iter().enumerate() {
                if i > 0 {
                    let prev_empty = content[i - 1].is_empty();
                    if line.is_empty() || prev_empty || line.starts_with(' ') {
                        out.push('\n');
                    } else {
                        out.push(' ');
                    }
                }
                out.push_str(line);
            }
            out
        } else {
            content.join("\n")
        };
        if !strip && !content.is_empty() {
            text.push('\n');
        }
        if keep {
            for _ in 0..trailing {
                text.push('\n');
            }
        }
        Ok(Value::String(text))
    }
}

fn scalar_or_flow(text: &str, no: usize) -> Result<Value, String> {
    let t = text.trim();
    if t.starts_with('[') || t.starts_with('{') {
        let mut f = Flow {
            s: t.as_bytes(),
            text: t,
            i: 0,
            no,
        };
        let v = f.value(0)?;
        f.ws();
        if f.i != f.s.len() {
            return Err(format!(
                "line {no}: unexpected text after a flow collection (multi-line flow collections are not supported)"
            ));
        }
        return Ok(v);
    }
    scalar(t, no)
}

fn scalar(t: &str, no: usize) -> Result<Value, String> {
    if let Some(c) = t.chars().next()
        && matches!(c, '&' | '*' | '!' | '%' | '@' | '`')
    {
        return Err(format!(
            "line {no}: `{c}` (anchors, aliases, tags, directives) is not supported in raw objects"
        ));
    }
    if t.starts_with('"') {
        return double_quoted(t, no).map(Value::String);
    }
    if t.starts_with('\'') {
        if t.len() < 2 || !t.ends_with('\'') {
            return Err(format!("line {no}: unterminated string"));
        }
        return Ok(Value::String(t[1..t.len() - 1].replace("''", "'")));
    }
    Ok(match t {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Ok(i) = t.parse::<i64>() {
                Value::from(i)
            } else if t.bytes().any(|b| b.is_ascii_digit())
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
                && let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
            {
                Value::Number(n)
            } else {
                Value::String(t.to_string())
            }
        }
    })
}

fn double_quoted(t: &str, no: usize) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = t[1..].chars();
    loop {
        match chars.next() {
            None => return Err(format!("line {no}: unterminated string")),
            Some('"') => break,
            Some('\\') => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('/') => out.push('/'),
                Some(' ') => out.push(' '),
                Some(c @ ('x' | 'u' | 'U')) => {
                    let n = match c {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = chars.by_ref().take(n).collect();
                    let ch = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("line {no}: invalid escape `\\{c}{hex}`"))?;
                    out.push(ch);
                }
                Some(c) => return Err(format!("line {no}: unknown escape `\\{c}`")),
                None => return Err(format!("line {no}: unterminated string")),
            },
            Some(c) => out.push(c),
        }
    }
    if !chars.as_str().trim().is_empty() {
        return Err(format!("line {no}: unexpected text after a string"));
    }
    Ok(out)
}

/// One-line flow collections: `[a, "b"]`, `{k: v}`.
struct Flow<'s> {
    s: &'s [u8],
    text: &'s str,
    i: usize,
    no: usize,
}

impl Flow<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| *b == b' ') {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("the object is nested too deeply".into());
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Value::Array(items));
                    }
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {}
                        _ => return Err(format!("line {}: expected `,` or `]`", self.no)),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut map = Map::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Value::Object(map));
                    }
                    let k = match self.atom(true)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err(format!("line {}: expected `:` in a flow mapping", self.no));
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    map.insert(k, v);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        _ => return Err(format!("line {}: expected `,` or `}}`", self.no)),
                    }
                }
            }
            _ => self.atom(false),
        }
    }

    /// A quoted or plain scalar inside a flow collection.
    fn atom(&mut self, key: bool) -> Result<Value, String> {
        self.ws();
        let start = self.i;
        match self.s.get(self.i) {
            Some(b'"') => {
                self.i += 1;
                while let Some(&b) = self.s.get(self.i) {
                    self.i += 1;
                    if b == b'\\' {
                        self.i += 1;
                    } else if b == b'"' {
                        break;
                    }
                }
                let lit = self.text.get(start..self.i.min(self.s.len())).unwrap_or("");
                double_quoted(lit, self.no).map(Value::String)
            }
            Some(b'\'') => {
                self.i += 1;
                while let Some(&b) = self.s.get(self.i) {
                    self.i += 1;
                    if b == b'\'' {
                        if self.s.get(self.i) == Some(&b'\'') {
                            self.i += 1;
                        } else {
                            break;
                        }
                    }
                }
                let lit = self.text.get(start..self.i.min(self.s.len())).unwrap_or("");
                scalar(lit, self.no)
            }
            _ => {
                while let Some(&b) = self.s.get(self.i) {
                    if matches!(b, b',' | b']' | b'}') || (key && b == b':') {
                        break;
                    }
                    self.i += 1;
                }
                let lit = self.text.get(start..self.i).unwrap_or("").trim();
                scalar(lit, self.no)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubernetes_objects() {
        let v = parse(
            "# a comment\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader   # trailing\n  labels: {a: \"1\", b: x}\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"pods\", \"namespaces\"]\n    verbs: [get, list]\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "reader", "labels": {"a": "1", "b": "x"}},
                "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list"]}]
            })
        );
        let v = parse(
            "a:\n- x\n- 3\n- - nested\nb: |\n  line one\n  line two\nc: 'it''s'\nd: true\ne: 1.5\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": ["x", 3, ["nested"]], "b": "line one\nline two\n", "c": "it's", "d": true, "e": 1.5})
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert!(parse("a: &x 1\nb: *x\n").is_err());
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
        assert!(parse("a: 1\na: 2\n").is_err());
        assert!(parse("a: [1,\n 2]\n").is_err());
        assert!(parse("").is_err());
        assert_eq!(parse("{\"a\": 1}").unwrap(), json!({"a": 1}));
    }
}
