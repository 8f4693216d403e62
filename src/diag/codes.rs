//! The one table of diagnostic codes. Each entry has its code, a short name, its default
//! severity, a one-line summary and a long explanation with an example; `kiln explain`,
//! `docs/diagnostics.md` and the language server's hover all read this table.
//!
//! Ranges: K00xx syntax, K01xx schema and types, K02xx names and references, K03xx
//! values, K04xx compilation, K05xx release ordering, K06xx modules and profiles,
//! K09xx relaxations and risks (warnings).

use super::Severity;

/// Everything known about one code.
#[derive(Debug)]
pub struct CodeInfo {
    /// `K0101`.
    pub code: &'static str,
    /// `unknown-field`: stable, kebab-case.
    pub name: &'static str,
    /// The default severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Markdown: why this is a problem, an example that triggers it, and the fix.
    pub explanation: &'static str,
}

/// A diagnostic code: a reference into the table.
#[derive(Debug, Clone, Copy)]
pub struct Code(&'static CodeInfo);

impl Code {
    /// The table entry.
    pub fn info(self) -> &'static CodeInfo {
        self.0
    }

    /// `K0101`.
    pub fn as_str(self) -> &'static str {
        self.0.code
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}
impl Eq for Code {}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.code)
    }
}

/// Looks a code up by its text (`K0101`, case-insensitive) or its name (`unknown-field`).
pub fn lookup(text: &str) -> Option<Code> {
    ALL.iter()
        .copied()
        .find(|c| c.0.code.eq_ignore_ascii_case(text) || c.0.name == text)
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $id:ident = $code:literal, $name:literal, $sev:ident, $summary:literal, $expl:literal; )*) => {
        $(
            $(#[$doc])*
            pub const $id: Code = Code(&CodeInfo {
                code: $code,
                name: $name,
                severity: Severity::$sev,
                summary: $summary,
                explanation: $expl,
            });
        )*
        /// Every code, in table order.
        pub const ALL: &[Code] = &[$($id),*];
    };
}

codes! {
    /// The text does not follow the grammar.
    SYNTAX = "K0001", "syntax", Error,
        "the text does not follow the grammar",
        "The parser expected something else at this point: the message says what.\n\n\
         ```kiln\nservice web {\n  replicas 3      // error: expected `=` after field name `replicas`\n}\n```\n\n\
         Fix: write `replicas = 3`. kiln recovers at the next line, so every syntax error \
         in the file is reported in one run.";
    /// A string literal is not closed.
    UNTERMINATED_STRING = "K0002", "unterminated-string", Error,
        "a string literal is not closed",
        "Every string starts and ends with `\"` on the same logical literal.\n\n\
         ```kiln\nimage = \"registry.example.com/csis:1.4.2\n```\n\n\
         Fix: add the closing `\"`.";
    /// An escape sequence in a string is not one kiln knows.
    BAD_ESCAPE = "K0003", "bad-escape", Error,
        "unknown escape sequence in a string",
        "Strings accept `\\n`, `\\t`, `\\r`, `\\\\`, `\\\"`, `\\$` and `\\u{XXXX}`.\n\n\
         ```kiln\nname = \"a\\qb\"   // error: `\\q` is not an escape\n```\n\n\
         Fix: write `\\\\q` for a literal backslash.";
    /// Nesting deeper than the parser allows.
    TOO_DEEP = "K0004", "too-deep", Error,
        "blocks, lists or calls are nested too deeply",
        "kiln limits nesting (blocks, lists, calls, interpolations) to 64 levels so that \
         hostile or generated input cannot exhaust the stack. Real apps nest three or four \
         levels.\n\nFix: flatten the structure, or use `let` bindings.";
    /// An integer literal does not fit.
    NUMBER_TOO_LARGE = "K0005", "number-too-large", Error,
        "a number does not fit in 64 bits",
        "Numbers in kiln are 64-bit. `replicas = 99999999999999999999` cannot be \
         represented.\n\nFix: use a realistic value.";
    /// A reserved word used as a name.
    RESERVED_WORD = "K0006", "reserved-word", Error,
        "a reserved word is used as a name",
        "`import`, `template`, `profile`, `let`, `as`, `from`, `extends`, `true`, `false` \
         and `none` are reserved.\n\n```kiln\njob import { ... }   // error\n```\n\n\
         Fix: choose another name.";
    /// The file is too large or a limit on input size was hit.
    INPUT_TOO_LARGE = "K0007", "input-too-large", Error,
        "the input exceeds a size limit",
        "kiln refuses inputs larger than its documented limits (see docs/language.md, \
         \"Limits\") so that a pipeline never hangs on a generated file.\n\nFix: split the \
         file into modules.";
}
