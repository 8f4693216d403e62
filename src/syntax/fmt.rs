//! The formatter: canonical layout of a parsed file, comments kept.
//!
//! Layout (docs/language.md, "Formatting"): two-space indent, one entry per line, `=`
//! aligned within a run of consecutive fields, at most one blank line kept where the
//! user put one, one blank line between top-level blocks and between two multi-line
//! blocks, blocks written on one line stay on one line when they fit in
//! [`MAX_WIDTH`] columns and hold no comment, lists on one line when they fit, else one
//! element per line with a trailing comma, strings re-escaped canonically.
//!
//! Comments are not in the tree; they are placed by position: a comment after code on
//! the same line stays trailing (aligned within a run of fields), a comment on its own
//! line stays above the entry that follows it (or at the end of its block or list). A
//! comment in a place the layout does not keep (inside a call, between a key and its
//! `=`) moves to its own line above the entry: no comment is ever dropped.

use super::ast::{self, Entry, Expr, ExprKind, Item};
use crate::source::Span;

/// Lines longer than this are broken where the layout allows (lists).
pub const MAX_WIDTH: usize = 100;

/// Spaces between code and a trailing comment (more when aligned with its neighbours).
const COMMENT_GAP: usize = 3;

/// Formats a parsed file in kiln's canonical layout. `source` must be the text `file`
/// was parsed from (comments and blank lines are read from it). Formatting a file with
/// syntax errors is not meaningful: the caller should not write the result back.
pub fn format(file: &ast::File, source: &str) -> String {
    let mut f = Fmt {
        src: source,
        comments: &file.comments,
        used: vec![false; file.comments.len()],
    };
    let nodes: Vec<Node<'_>> = file.items.iter().map(Node::Item).collect();
    let mut out = String::new();
    f.body(&nodes, 0, source.len(), 0, true, &mut out);
    // Safety net: a comment the layout did not place goes at the end, never lost.
    for i in 0..f.comments.len() {
        if !f.used[i] {
            f.used[i] = true;
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(comment_text(&f.comments[i].text));
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// One entry of a body, whatever its container (file, block, profile).
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Entry(&'a Entry),
    Field(&'a ast::Field),
}

impl<'a> Node<'a> {
    fn span(self) -> Span {
        match self {
            Node::Item(Item::Block(b)) | Node::Entry(Entry::Block(b)) => b.span,
            Node::Item(Item::Let(l)) | Node::Entry(Entry::Let(l)) => l.span,
            Node::Item(Item::Profile(p)) => p.span,
            Node::Item(Item::Import(i)) => i.span,
            Node::Item(Item::Template(t)) => t.span,
            Node::Entry(Entry::Field(f)) | Node::Field(f) => f.span,
        }
    }

    fn field(self) -> Option<&'a ast::Field> {
        match self {
            Node::Entry(Entry::Field(f)) | Node::Field(f) => Some(f),
            _ => None,
        }
    }

    /// Blocks, profiles and templates: separated by a blank line at the top level.
    fn is_blockish(self) -> bool {
        matches!(
            self,
            Node::Item(Item::Block(_) | Item::Profile(_) | Item::Template(_))
                | Node::Entry(Entry::Block(_))
        )
    }
}

struct Fmt<'a> {
    src: &'a str,
    comments: &'a [ast::Comment],
    used: Vec<bool>,
}

/// The plan for one entry of a body.
struct Planned {
    /// Comments on their own lines above the entry, each with "blank line before it".
    leading: Vec<(usize, bool)>,
    /// A blank line before the entry itself (or its first leading comment).
    blank_before: bool,
    /// The comment after the entry on its last line.
    trailing: Option<usize>,
}

impl<'a> Fmt<'a> {
    fn text(&self, a: usize, b: usize) -> &'a str {
        self.src.get(a.min(b)..b.min(self.src.len())).unwrap_or("")
    }

    fn newlines(&self, a: usize, b: usize) -> usize {
        self.text(a, b).bytes().filter(|&c| c == b'\n').count()
    }

    /// Unused comments starting in `[a, b)`.
    fn comments_in(&self, a: usize, b: usize) -> Vec<usize> {
        // Comments are in source order: start at the first one at or after `a`.
        let first = self
            .comments
            .partition_point(|c| (c.span.start as usize) < a);
        (first..self.comments.len())
            .take_while(|&i| (self.comments[i].span.start as usize) < b)
            .filter(|&i| !self.used[i])
            .collect()
    }

    fn has_comments(&self, span: Span) -> bool {
        !self
            .comments_in(span.start as usize, span.end as usize)
            .is_empty()
    }

    /// Writes the entries of a body (between byte `open` and byte `close` of the source),
    /// with their comments, at `indent`. `top` is the file level.
    fn body(
        &mut self,
        nodes: &[Node<'_>],
        open: usize,
        close: usize,
        indent: usize,
        top: bool,
        out: &mut String,
    ) {
        let pad = " ".repeat(indent);
        // Plan: which comments lead, which trail, where blank lines go.
        let mut plans = Vec::with_capacity(nodes.len());
        let mut last = open;
        for (i, n) in nodes.iter().enumerate() {
            let span = n.span();
            let start = span.start as usize;
            let mut leading = Vec::new();
            let mut blank_before = false;
            let mut prev_end = last;
            for (k, c) in self.comments_in(last, start).into_iter().enumerate() {
                let cs = self.comments[c].span;
                let blank = self.newlines(prev_end, cs.start as usize) >= 2;
                if k == 0 {
                    blank_before = blank;
                    leading.push((c, false));
                } else {
                    leading.push((c, blank));
                }
                prev_end = cs.end as usize;
            }
            if leading.is_empty() {
                blank_before = self.newlines(last, start) >= 2;
            }
            let entry_blank = if leading.is_empty() {
                false
            } else {
                self.newlines(prev_end, start) >= 2
            };
            if entry_blank {
                // A blank line between a comment and its entry is kept as one.
                leading.push((usize::MAX, true));
            }
            let end = span.end as usize;
            let next_start = nodes.get(i + 1).map_or(close, |m| m.span().start as usize);
            let trailing = self
                .comments_in(end, next_start)
                .into_iter()
                .next()
                .filter(|&c| self.newlines(end, self.comments[c].span.start as usize) == 0);
            last = trailing.map_or(end, |c| self.comments[c].span.end as usize);
            plans.push(Planned {
                leading,
                blank_before,
                trailing,
            });
        }
        // Forced blank lines: between top-level blocks, and between two multi-line blocks.
        let multi: Vec<bool> = nodes
            .iter()
            .map(|n| self.is_multiline(*n, indent))
            .collect();
        for i in 1..nodes.len() {
            let forced = if top {
                nodes[i].is_blockish() || nodes[i - 1].is_blockish()
            } else {
                multi[i] && multi[i - 1]
            };
            if forced {
                plans[i].blank_before = true;
            }
        }
        // Runs of consecutive fields share the column of `=` and of trailing comments.
        let mut run_of = vec![usize::MAX; nodes.len()];
        let mut runs: Vec<Vec<usize>> = Vec::new();
        for i in 0..nodes.len() {
            if nodes[i].field().is_none() {
                continue;
            }
            let continues = i > 0
                && run_of[i - 1] != usize::MAX
                && !plans[i].blank_before
                && plans[i].leading.iter().all(|&(_, b)| !b);
            if continues {
                run_of[i] = run_of[i - 1];
                runs[run_of[i]].push(i);
            } else {
                run_of[i] = runs.len();
                runs.push(vec![i]);
            }
        }
        let key_width: Vec<usize> = runs
            .iter()
            .map(|r| {
                r.iter()
                    .filter_map(|&i| nodes[i].field())
                    .map(|f| self.path(f).chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();

        // Render every entry, then place trailing comments.
        let mut rendered: Vec<String> = Vec::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            let width = if run_of[i] == usize::MAX {
                0
            } else {
                key_width[run_of[i]]
            };
            rendered.push(self.node(*n, indent, width));
        }
        let mut comment_col = vec![0usize; nodes.len()];
        for r in &runs {
            let col = r
                .iter()
                .filter(|&&i| plans[i].trailing.is_some() && !rendered[i].contains('\n'))
                .map(|&i| indent + rendered[i].chars().count())
                .max()
                .unwrap_or(0);
            for &i in r {
                comment_col[i] = col;
            }
        }

        for (i, n) in nodes.iter().enumerate() {
            let plan = &plans[i];
            if i > 0 && plan.blank_before {
                out.push('\n');
            }
            for &(c, blank) in &plan.leading {
                if blank {
                    out.push('\n');
                }
                if c == usize::MAX {
                    continue;
                }
                self.used[c] = true;
                push_comment_lines(out, &pad, &self.comments[c].text);
            }
            // Comments inside the entry that its layout did not place go above it.
            for c in self.comments_in(n.span().start as usize, n.span().end as usize) {
                self.used[c] = true;
                push_comment_lines(out, &pad, &self.comments[c].text);
            }
            let text = &rendered[i];
            out.push_str(&pad);
            out.push_str(text);
            if let Some(c) = plan.trailing {
                self.used[c] = true;
                let last_line = text.rsplit('\n').next().unwrap_or("");
                let width = if text.contains('\n') {
                    last_line.chars().count()
                } else {
                    indent + last_line.chars().count()
                };
                let col = if comment_col[i] > 0 && !text.contains('\n') {
                    comment_col[i]
                } else {
                    width
                };
                out.push_str(&" ".repeat(col - width + COMMENT_GAP));
                out.push_str(comment_text(&self.comments[c].text));
            }
            out.push('\n');
        }
        // Comments left before the closing brace (or the end of the file).
        let mut prev_end = last;
        let mut first = true;
        for c in self.comments_in(last, close) {
            let cs = self.comments[c].span;
            if (!first || !nodes.is_empty()) && self.newlines(prev_end, cs.start as usize) >= 2 {
                out.push('\n');
            }
            first = false;
            self.used[c] = true;
            push_comment_lines(out, &pad, &self.comments[c].text);
            prev_end = cs.end as usize;
        }
    }

    /// Whether a node takes more than one line once formatted.
    fn is_multiline(&self, n: Node<'_>, indent: usize) -> bool {
        match n {
            Node::Item(Item::Block(b)) | Node::Entry(Entry::Block(b)) => {
                !self.one_line_block(b, indent)
            }
            Node::Item(Item::Profile(_) | Item::Template(_)) => true,
            _ => false,
        }
    }

    /// A block stays on one line if it was written on one line, holds no comment and
    /// fits. `indent` is where it starts.
    fn one_line_block(&self, b: &ast::Block, indent: usize) -> bool {
        let s = b.span.start as usize;
        let e = b.span.end as usize;
        if self.newlines(s, e) > 0 || self.has_comments(b.span) {
            return false;
        }
        indent + self.flat_block(b).chars().count() <= MAX_WIDTH
    }

    fn flat_block(&self, b: &ast::Block) -> String {
        let mut s = self.block_head(b);
        if b.entries.is_empty() {
            s.push_str(" {}");
            return s;
        }
        s.push_str(" { ");
        let parts: Vec<String> = b
            .entries
            .iter()
            .map(|e| match e {
                Entry::Field(f) => format!("{} = {}", self.path(f), self.flat(&f.value)),
                Entry::Let(l) => format!("let {} = {}", l.name.name, self.flat(&l.value)),
                Entry::Block(nb) => self.flat_block(nb),
            })
            .collect();
        s.push_str(&parts.join("  "));
        s.push_str(" }");
        s
    }

    fn block_head(&self, b: &ast::Block) -> String {
        let mut s = b.kind.name.clone();
        if let Some(n) = &b.name {
            s.push(' ');
            s.push_str(&n.name);
        }
        if let Some(t) = &b.template {
            s.push_str(" = ");
            s.push_str(&self.flat_call(t));
        }
        s
    }

    /// Renders one node at `indent` (the caller writes the indentation of its first
    /// line); `key_width` aligns the `=` of a field.
    fn node(&mut self, n: Node<'_>, indent: usize, key_width: usize) -> String {
        match n {
            Node::Item(Item::Block(b)) | Node::Entry(Entry::Block(b)) => self.block(b, indent),
            Node::Item(Item::Let(l)) | Node::Entry(Entry::Let(l)) => {
                let head = format!("let {} = ", l.name.name);
                let v = self.value(&l.value, indent + head.len(), indent);
                head + &v
            }
            Node::Entry(Entry::Field(f)) | Node::Field(f) => {
                let path = self.path(f);
                let pad = key_width.saturating_sub(path.chars().count());
                let head = format!("{path}{} = ", " ".repeat(pad));
                let v = self.value(&f.value, indent + head.chars().count(), indent);
                head + &v
            }
            Node::Item(Item::Import(i)) => {
                let mut s = format!("import {}", self.string(&i.path));
                if let Some(a) = &i.alias {
                    s.push_str(" as ");
                    s.push_str(&a.name);
                }
                s
            }
            Node::Item(Item::Profile(p)) => {
                let mut head = format!("profile {}", p.name.name);
                if !p.extends.is_empty() {
                    let names: Vec<&str> = p.extends.iter().map(|e| e.name.as_str()).collect();
                    head.push_str(" extends ");
                    head.push_str(&names.join(", "));
                }
                let nodes: Vec<Node<'_>> = p.fields.iter().map(Node::Field).collect();
                // The body starts at the profile's `{`: after the last header word.
                let open = p.extends.last().map_or(p.name.span.end, |e| e.span.end) as usize;
                let open = self
                    .text(open, p.span.end as usize)
                    .find('{')
                    .map_or(open, |k| open + k + 1);
                self.braced(head, &nodes, open, p.span.end as usize, indent)
            }
            Node::Item(Item::Template(t)) => {
                let params: Vec<String> = t
                    .params
                    .iter()
                    .map(|p| {
                        let mut s = format!("{}: {}", p.name.name, p.ty.name);
                        if let Some(d) = &p.default {
                            s.push_str(" = ");
                            s.push_str(&self.flat(d));
                        }
                        s
                    })
                    .collect();
                let head = format!(
                    "template {}({}) {}",
                    t.name.name,
                    params.join(", "),
                    t.body.kind.name
                );
                let nodes: Vec<Node<'_>> = t.body.entries.iter().map(Node::Entry).collect();
                self.braced(
                    head,
                    &nodes,
                    t.body.body_span.start as usize + 1,
                    t.body.body_span.end as usize,
                    indent,
                )
            }
        }
    }

    fn block(&mut self, b: &ast::Block, indent: usize) -> String {
        if self.one_line_block(b, indent) {
            return self.flat_block(b);
        }
        let head = self.block_head(b);
        let nodes: Vec<Node<'_>> = b.entries.iter().map(Node::Entry).collect();
        self.braced(
            head,
            &nodes,
            b.body_span.start as usize + 1,
            (b.body_span.end as usize).saturating_sub(1),
            indent,
        )
    }

    /// `head {` + body + `}`; the body's source lies in `[open, close)`.
    fn braced(
        &mut self,
        head: String,
        nodes: &[Node<'_>],
        open: usize,
        close: usize,
        indent: usize,
    ) -> String {
        let mut s = head;
        s.push_str(" {");
        // A comment on the line of the `{` stays there.
        let first = nodes.first().map_or(close, |n| n.span().start as usize);
        let mut open = open;
        if let Some(c) = self.comments_in(open, first).into_iter().next()
            && self.newlines(open, self.comments[c].span.start as usize) == 0
        {
            self.used[c] = true;
            s.push_str(&" ".repeat(COMMENT_GAP));
            s.push_str(comment_text(&self.comments[c].text));
            open = self.comments[c].span.end as usize;
        }
        let mut inner = String::new();
        self.body(nodes, open, close, indent + 2, false, &mut inner);
        if inner.is_empty() && nodes.is_empty() {
            s.push('}');
            return s;
        }
        s.push('\n');
        s.push_str(&inner);
        s.push_str(&" ".repeat(indent));
        s.push('}');
        s
    }

    fn path(&self, f: &ast::Field) -> String {
        let keys: Vec<String> = f
            .path
            .iter()
            .map(|k| {
                if k.quoted {
                    quote(&k.name)
                } else {
                    k.name.clone()
                }
            })
            .collect();
        keys.join(".")
    }

    /// A value starting at column `col`, on a line indented by `indent`: a list that
    /// does not fit (or holds comments) gets one element per line.
    fn value(&mut self, e: &Expr, col: usize, indent: usize) -> String {
        if let ExprKind::List(items) = &e.kind {
            let has_comments = self.has_comments(e.span);
            let flat = self.flat(e);
            if has_comments || (!items.is_empty() && col + flat.chars().count() > MAX_WIDTH) {
                return self.broken_list(items, e.span, indent);
            }
            return flat;
        }
        self.flat_marking(e)
    }

    fn broken_list(&mut self, items: &[Expr], span: Span, indent: usize) -> String {
        let pad = " ".repeat(indent + 2);
        let mut s = String::from("[");
        // A comment on the line of the `[` stays there.
        let mut last = span.start as usize + 1;
        let first = items
            .first()
            .map_or(span.end as usize, |e| e.span.start as usize);
        if let Some(c) = self.comments_in(last, first).into_iter().next()
            && self.newlines(last, self.comments[c].span.start as usize) == 0
        {
            self.used[c] = true;
            s.push_str(&" ".repeat(COMMENT_GAP));
            s.push_str(comment_text(&self.comments[c].text));
            last = self.comments[c].span.end as usize;
        }
        s.push('\n');
        for (i, item) in items.iter().enumerate() {
            let start = item.span.start as usize;
            let mut prev = last;
            for (k, c) in self.comments_in(last, start).into_iter().enumerate() {
                let cs = self.comments[c].span;
                if (k > 0 || i > 0) && self.newlines(prev, cs.start as usize) >= 2 {
                    s.push('\n');
                }
                self.used[c] = true;
                push_comment_lines(&mut s, &pad, &self.comments[c].text);
                prev = cs.end as usize;
            }
            if i > 0 && prev == last && self.newlines(last, start) >= 2 {
                s.push('\n');
            }
            let v = self.value(item, indent + 2, indent + 2);
            // Comments inside an element that stays on one line go above it.
            for c in self.comments_in(start, item.span.end as usize) {
                self.used[c] = true;
                push_comment_lines(&mut s, &pad, &self.comments[c].text);
            }
            s.push_str(&pad);
            s.push_str(&v);
            s.push(',');
            let end = item.span.end as usize;
            let next = items
                .get(i + 1)
                .map_or(span.end as usize, |n| n.span.start as usize);
            last = end;
            // A trailing comment: after the element (and its comma) on the same line.
            if let Some(c) = self.comments_in(end, next).into_iter().next()
                && self.newlines(end, self.comments[c].span.start as usize) == 0
            {
                self.used[c] = true;
                s.push_str(&" ".repeat(COMMENT_GAP));
                s.push_str(comment_text(&self.comments[c].text));
                last = self.comments[c].span.end as usize;
            }
            s.push('\n');
        }
        let mut prev = last;
        for c in self.comments_in(last, span.end as usize) {
            let cs = self.comments[c].span;
            if !items.is_empty() && self.newlines(prev, cs.start as usize) >= 2 {
                s.push('\n');
            }
            self.used[c] = true;
            push_comment_lines(&mut s, &pad, &self.comments[c].text);
            prev = cs.end as usize;
        }
        s.push_str(&" ".repeat(indent));
        s.push(']');
        s
    }

    /// A value on one line; strings holding comments (in an interpolation) are kept as
    /// written, and their comments marked as placed.
    fn flat_marking(&mut self, e: &Expr) -> String {
        let s = self.flat(e);
        self.mark_verbatim_strings(e);
        s
    }

    fn mark_verbatim_strings(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Str(s) => {
                for c in self.comments_in(s.span.start as usize, s.span.end as usize) {
                    self.used[c] = true;
                }
            }
            ExprKind::List(items) => {
                for i in items {
                    self.mark_verbatim_strings(i);
                }
            }
            ExprKind::Range(a, b) => {
                self.mark_verbatim_strings(a);
                self.mark_verbatim_strings(b);
            }
            ExprKind::Call(c) => {
                for a in &c.args {
                    self.mark_verbatim_strings(&a.value);
                }
            }
            _ => {}
        }
    }

    /// A value on one line.
    fn flat(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Str(s) => self.string(s),
            ExprKind::Number(n) => format!("{}{}", n.digits, n.unit),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::None => "none".to_string(),
            ExprKind::Ref(segs) => segs
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join("."),
            ExprKind::List(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.flat(i)).collect();
                format!("[{}]", parts.join(", "))
            }
            ExprKind::Range(a, b) => format!("{} .. {}", self.flat(a), self.flat(b)),
            ExprKind::Call(c) => self.flat_call(c),
        }
    }

    fn flat_call(&self, c: &ast::Call) -> String {
        let args: Vec<String> = c
            .args
            .iter()
            .map(|a| match &a.name {
                Some(n) => format!("{} = {}", n.name, self.flat(&a.value)),
                None => self.flat(&a.value),
            })
            .collect();
        format!("{}({})", c.func.name, args.join(", "))
    }

    /// A string literal, re-escaped canonically; one that holds a comment inside an
    /// interpolation is kept exactly as written.
    fn string(&self, s: &ast::StrLit) -> String {
        if self.has_comments(s.span) || self.comments_span_inside(s.span) {
            return self
                .text(s.span.start as usize, s.span.end as usize)
                .to_string();
        }
        let mut out = String::from("\"");
        for p in &s.parts {
            match p {
                ast::StrPart::Text(t, _) => out.push_str(&escape(t)),
                ast::StrPart::Interp(e) => {
                    out.push_str("${");
                    out.push_str(&self.flat(e));
                    out.push('}');
                }
            }
        }
        out.push('"');
        out
    }

    /// Whether any comment (placed or not) lies inside `span`.
    fn comments_span_inside(&self, span: Span) -> bool {
        let first = self.comments.partition_point(|c| c.span.start < span.start);
        self.comments
            .get(first)
            .is_some_and(|c| c.span.end <= span.end)
    }
}

/// Writes a comment on its own line(s) at `pad`.
fn push_comment_lines(out: &mut String, pad: &str, text: &str) {
    out.push_str(pad);
    out.push_str(comment_text(text));
    out.push('\n');
}

/// A comment as written, without trailing whitespace (a formatter leaves none).
fn comment_text(text: &str) -> &str {
    text.trim_end()
}

/// A key or path string in quotes.
fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

/// Canonical escapes: `\\`, `\"`, `\n`, `\t`, `\r`, `\$` before `{` (so text never
/// reads as an interpolation), `\u{..}` for other control characters.
fn escape(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn fmt(text: &str) -> String {
        let (f, d) = super::super::parse(FileId(0), text);
        assert!(
            d.is_empty(),
            "{:?}",
            d.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        format(&f, text)
    }

    #[test]
    fn the_example_is_a_fixed_point() {
        let text = include_str!("../../examples/csis/app.kiln");
        assert_eq!(fmt(text), text);
    }

    #[test]
    fn layout() {
        let src = "app a {\n  x=1 // c\n  long_name = [1,2]\n\n\n  y = \"a\\tb\"\n  s { p = 1 }\n  t {\n  q = 2 }\n}\nprofile p { a.b = 1 }\n";
        let want = "app a {\n  x         = 1   // c\n  long_name = [1, 2]\n\n  y = \"a\\tb\"\n  s { p = 1 }\n  t {\n    q = 2\n  }\n}\n\nprofile p {\n  a.b = 1\n}\n";
        assert_eq!(fmt(src), want);
        assert_eq!(fmt(want), want);
    }
}
