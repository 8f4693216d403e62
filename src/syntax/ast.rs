//! The syntax tree as written. Every node carries its byte [`Span`]; nothing is desugared
//! here (the formatter needs the tree as the user wrote it), and comments are kept in a
//! flat list on [`File`] that the formatter interleaves by position.
//!
//! Templates and imports have their place in the tree ([`Item::Import`],
//! [`Item::Template`], [`Block::template`]) so that the modules issue adds behaviour, not
//! shape.

use crate::source::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A whole source file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
    /// Every comment in the file, in source order, with its delimiters.
    pub comments: Vec<Comment>,
    /// The whole file.
    pub span: Span,
}

/// A `// line` or `/* block */` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The text including `//` or `/* */`, without the line break.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `app csis { ... }` (any block kind is allowed syntactically; the checker decides).
    Block(Block),
    /// `let name = value`.
    Let(Let),
    /// `profile staging [extends base] { path.to.field = value ... }`.
    Profile(Profile),
    /// `import "std/rails" [as rails]`.
    Import(Import),
    /// `template NAME(param: type = default, ...) KIND { ... }`.
    Template(Template),
}

/// `import "path" [as alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The path string.
    pub path: StrLit,
    /// The `as` alias.
    pub alias: Option<Ident>,
    /// The whole item.
    pub span: Span,
}

/// `let name = value`, at top level or inside a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    /// The bound name.
    pub name: Ident,
    /// The value.
    pub value: Expr,
    /// The whole binding.
    pub span: Span,
}

/// `KIND [NAME] [= TEMPLATE(args)] { entries }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// `service`, `env`, `app`, ...
    pub kind: Ident,
    /// `web` in `service web { }`; absent for `env { }`, `autoscale { }`.
    pub name: Option<Ident>,
    /// `service web = rails_web(port = 3000) { ... }`: the template instantiated.
    pub template: Option<Call>,
    /// Fields, nested blocks and lets, in source order.
    pub entries: Vec<Entry>,
    /// From the kind to the closing brace.
    pub span: Span,
    /// From `{` to `}` inclusive.
    pub body_span: Span,
}

/// One entry of a block body.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// `key = value` (the key may be a dotted path, e.g. in `patch` and `profile`).
    Field(Field),
    /// A nested block.
    Block(Block),
    /// A local binding.
    Let(Let),
}

/// `path = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// One or more keys joined by `.`.
    pub path: Vec<Key>,
    /// The value.
    pub value: Expr,
    /// From the first key to the end of the value.
    pub span: Span,
}

/// One segment of a field path: a bare word or a quoted string
/// (`"app.kubernetes.io/part-of" = "shop"` in a `labels` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The text (unescaped if quoted).
    pub name: String,
    /// Whether it was written in quotes.
    pub quoted: bool,
    /// Where.
    pub span: Span,
}

/// `profile NAME [extends A, B] { path = value ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The profile name.
    pub name: Ident,
    /// Profiles this one extends, applied first.
    pub extends: Vec<Ident>,
    /// The overrides.
    pub fields: Vec<Field>,
    /// The whole item.
    pub span: Span,
}

/// `template NAME(params) KIND { entries }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The template name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Param>,
    /// The block it produces (its `name` is None).
    pub body: Block,
    /// The whole item.
    pub span: Span,
}

/// A template parameter: `name: type [= default]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name.
    pub name: Ident,
    /// The type, as written (`int`, `string`, `cpu`, `list(string)`, ...).
    pub ty: Ident,
    /// The default.
    pub default: Option<Expr>,
    /// The whole parameter.
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// The forms a value can take.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `"text ${interp} more"`.
    Str(StrLit),
    /// A number, with an optional unit written right after it: `3`, `0.5`, `250m`,
    /// `512Mi`, `10m`, `30s`, `70%`. The unit's meaning depends on the expected type
    /// (`10m` is ten minutes for a duration and ten millicores for a CPU), so the
    /// checker, not the parser, interprets it.
    Number(Number),
    /// `true` / `false`.
    Bool(bool),
    /// `none`: removes an optional field or block (in profiles) or says "not set".
    None,
    /// A bare word or dotted path: an enum word (`before_deploy`), a reference to a named
    /// thing (`migrate`), a `let` binding, or `alias.name` after an import.
    Ref(Vec<Ident>),
    /// `[a, b, c]`.
    List(Vec<Expr>),
    /// `a .. b`.
    Range(Box<Expr>, Box<Expr>),
    /// `secret("db", "url")`, `http("/up", port = 8080)`.
    Call(Call),
}

/// A number literal as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// The digits, possibly with one `.` (`0.5`), no sign.
    pub digits: String,
    /// The unit suffix (`m`, `Mi`, `s`, `%`, ...), empty if none.
    pub unit: String,
}

/// A call: a function name and arguments, positional then named.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// `secret`, `http`, `tcp`, `exec`, `file`, or a template name.
    pub func: Ident,
    /// The arguments in order.
    pub args: Vec<Arg>,
    /// The whole call.
    pub span: Span,
}

/// One call argument: `value` or `name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The name for named arguments.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
    /// The whole argument.
    pub span: Span,
}

/// A string literal: text pieces (escapes already decoded) and `${expr}` interpolations.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    /// The pieces in order.
    pub parts: Vec<StrPart>,
    /// The whole literal including quotes.
    pub span: Span,
}

impl StrLit {
    /// The text if the literal has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                StrPart::Text(t, _) => s.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(s)
    }
}

/// A piece of a string literal.
#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    /// Literal text (escapes decoded) and the span of its source.
    Text(String, Span),
    /// `${expr}`.
    Interp(Expr),
}
