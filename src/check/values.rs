//! Pure parsers and validators for the value types of the language: quantities,
//! durations, cron schedules, CIDRs, image references and the name grammars Kubernetes
//! imposes. Nothing here knows about spans or diagnostics: each function returns what it
//! found or a [`Problem`] saying what is wrong, and the caller turns that into a
//! diagnostic at the right place.

use super::model::{Cpu, Duration, Memory};
use std::ops::Range;

/// What is wrong with a value, in words for a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The main message (lowercase, no trailing period).
    pub message: String,
    /// What to do instead, when there is something useful to say.
    pub help: Option<String>,
    /// Byte range inside the value's text that is wrong (for a precise label).
    pub range: Option<Range<usize>>,
}

impl Problem {
    fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            help: None,
            range: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    fn at(mut self, range: Range<usize>) -> Problem {
        self.range = Some(range);
        self
    }
}

// ---- numbers ---------------------------------------------------------------------------

/// An exact decimal as written: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// All digits as one integer.
    pub mantissa: u128,
    /// How many of them are after the point.
    pub scale: u32,
}

/// Parses `digits ("." digits)?`. None when malformed or absurdly long.
pub fn decimal(digits: &str) -> Option<Decimal> {
    // The usual case, a whole number of up to 19 digits (always below 10^19, so it fits
    // in u64): one pass, no search for the point.
    let b = digits.as_bytes();
    if !b.is_empty() && b.len() <= 19 && b.iter().all(u8::is_ascii_digit) {
        let mantissa = b.iter().fold(0u64, |m, &c| m * 10 + u64::from(c - b'0'));
        return Some(Decimal {
            mantissa: u128::from(mantissa),
            scale: 0,
        });
    }
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (digits.contains('.') && frac.is_empty()) {
        return None;
    }
    // 30 significant digits fit in u128 with room to multiply by 2^60.
    let significant = int.trim_start_matches('0').len() + frac.len();
    if significant > 30 {
        return None;
    }
    let mantissa = int
        .bytes()
        .chain(frac.bytes())
        .fold(0u128, |m, b| m * 10 + u128::from(b - b'0'));
    Some(Decimal {
        mantissa,
        scale: frac.len() as u32,
    })
}

impl Decimal {
    /// `self * factor` if it is a whole number that fits in u64.
    fn times(self, factor: u128) -> Option<u64> {
        if self.scale == 0 {
            // No division: a whole number times a factor (the usual case).
            return u64::try_from(self.mantissa.checked_mul(factor)?).ok();
        }
        let p = self.mantissa.checked_mul(factor)?;
        let d = 10u128.checked_pow(self.scale)?;
        if p % d != 0 {
            return None;
        }
        u64::try_from(p / d).ok()
    }

    fn is_integer(self) -> bool {
        self.times(1).is_some()
    }
}

/// A number as written (`512Mi`), for messages: formatted only when one is needed.
#[derive(Clone, Copy)]
struct Written<'s>(&'s str, &'s str);

impl std::fmt::Display for Written<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

/// Why a quantity was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// The unit belongs to the other resource (`512Mi` for a CPU, `500m` for memory).
    Mixup(Problem),
    /// Anything else.
    Malformed(Problem),
}

const MEMORY_UNITS: &[(&str, u128)] = &[
    ("", 1),
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("E", 1_000_000_000_000_000_000),
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
    ("Pi", 1 << 50),
    ("Ei", 1 << 60),
];

fn memory_factor(unit: &str) -> Option<u128> {
    MEMORY_UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|&(_, f)| f)
}

/// A likely intended memory unit for a common misspelling (`MB`, `Gb`, `K`).
fn memory_unit_hint(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "K" | "KB" | "kB" | "kb" | "Kb" | "KiB" | "ki" => "Ki",
        "MB" | "Mb" | "mb" | "MiB" | "mi" => "Mi",
        "GB" | "Gb" | "gb" | "GiB" | "gi" | "g" => "Gi",
        "TB" | "Tb" | "tb" | "TiB" | "ti" | "t" => "Ti",
        _ => return None,
    })
}

/// A CPU quantity: cores (`1`, `0.5`) or millicores (`250m`).
pub fn cpu(digits: &str, unit: &str) -> Result<Cpu, QuantityError> {
    let written = Written(digits, unit);
    let Some(d) = decimal(digits) else {
        return Err(QuantityError::Malformed(Problem::new(format!(
            "`{written}` is not a number"
        ))));
    };
    let factor = match unit {
        "" => 1000,
        "m" => 1,
        _ if memory_factor(unit).is_some() || memory_unit_hint(unit).is_some() => {
            return Err(QuantityError::Mixup(
                Problem::new(format!("`{written}` is a memory quantity, not CPU")).help(
                    "CPU is counted in cores (`1`, `0.5`) or millicores (`250m`); memory \
                     units such as `Mi` and `Gi` belong in `memory`",
                ),
            ));
        }
        _ => {
            return Err(QuantityError::Malformed(
                Problem::new(format!("unknown CPU unit `{unit}` in `{written}`"))
                    .help("write cores (`1`, `0.5`) or millicores (`250m`)"),
            ));
        }
    };
    let Some(millis) = d.times(factor) else {
        return Err(QuantityError::Malformed(
            Problem::new(format!("`{written}` is not a whole number of millicores"))
                .help("Kubernetes counts CPU in thousandths of a core: `0.25` or `250m`"),
        ));
    };
    if millis > 1_000_000_000 {
        return Err(QuantityError::Malformed(Problem::new(format!(
            "`{written}` is more CPU than any node has"
        ))));
    }
    Ok(cpu_from_millis(millis))
}

/// A [`Cpu`] from millicores, with its canonical text.
pub fn cpu_from_millis(millis: u64) -> Cpu {
    let text = if millis.is_multiple_of(1000) {
        number_text(millis / 1000, "")
    } else {
        number_text(millis, "m")
    };
    Cpu { millis, text }
}

/// `n` in decimal followed by `unit`, in a string of the exact size (what `format!`
/// gives, without its machinery: two quantities per container are written this way).
fn number_text(n: u64, unit: &str) -> String {
    let mut buf = [0; 20];
    let digits = crate::emit::decimal_digits(n, &mut buf);
    let mut out = String::with_capacity(digits.len() + unit.len());
    for &d in digits {
        out.push(char::from(d));
    }
    out.push_str(unit);
    out
}

/// A memory quantity: bytes, with a decimal (`k M G T P E`) or binary (`Ki Mi Gi Ti Pi
/// Ei`) unit. The canonical text keeps the user's unit (`512Mi`); a fraction is written
/// in the next smaller unit of the same family (`1.5Gi` → `1536Mi`) so the text is a
/// whole number, as Kubernetes itself would print it.
pub fn memory(digits: &str, unit: &str) -> Result<Memory, QuantityError> {
    let written = Written(digits, unit);
    let Some(d) = decimal(digits) else {
        return Err(QuantityError::Malformed(Problem::new(format!(
            "`{written}` is not a number"
        ))));
    };
    if unit == "m" {
        return Err(QuantityError::Mixup(
            Problem::new(format!(
                "`{written}` is millicores (or thousandths of a byte), not memory"
            ))
            .help(format!(
                "memory is written in bytes with a unit: did you mean `{digits}Mi`?"
            )),
        ));
    }
    let Some(factor) = memory_factor(unit) else {
        let help = match memory_unit_hint(unit) {
            Some(u) => format!("did you mean `{digits}{u}`? Kubernetes units are `Ki Mi Gi Ti` (powers of 1024) or `k M G T` (powers of 1000)"),
            None => "memory units are `Ki Mi Gi Ti Pi Ei` (powers of 1024) or `k M G T P E` (powers of 1000)".to_string(),
        };
        return Err(QuantityError::Malformed(
            Problem::new(format!("unknown memory unit `{unit}` in `{written}`")).help(help),
        ));
    };
    let Some(bytes) = d.times(factor) else {
        let help = if unit.is_empty() {
            format!("memory without a unit is bytes: did you mean `{digits}Gi`?")
        } else {
            "use a smaller unit".to_string()
        };
        return Err(QuantityError::Malformed(
            Problem::new(format!("`{written}` is not a whole number of bytes")).help(help),
        ));
    };
    if bytes > (1u64 << 62) {
        return Err(QuantityError::Malformed(Problem::new(format!(
            "`{written}` is too large"
        ))));
    }
    Ok(Memory {
        bytes,
        text: memory_text(bytes, d, unit),
    })
}

fn memory_text(bytes: u64, d: Decimal, unit: &str) -> String {
    if d.is_integer() {
        return number_text(d.times(1).unwrap_or(bytes), unit);
    }
    // The same family, one step down each time, until the value is whole.
    let family: &[&str] = if unit.ends_with('i') {
        &["Ei", "Pi", "Ti", "Gi", "Mi", "Ki", ""]
    } else {
        &["E", "P", "T", "G", "M", "k", ""]
    };
    let start = family.iter().position(|u| *u == unit).unwrap_or(0);
    for u in family.iter().skip(start) {
        let f = memory_factor(u).unwrap_or(1) as u64;
        if bytes.is_multiple_of(f) {
            return number_text(bytes / f, u);
        }
    }
    bytes.to_string()
}

/// A duration: `30s`, `10m`, `1h`, `1d` (whole seconds; `1.5m` is 90 seconds).
pub fn duration(digits: &str, unit: &str) -> Result<Duration, Problem> {
    let written = Written(digits, unit);
    let Some(d) = decimal(digits) else {
        return Err(Problem::new(format!("`{written}` is not a number")));
    };
    let factor: u128 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" => {
            return Err(
                Problem::new(format!("`{written}` has no unit")).help(format!(
                    "add a unit: `{digits}s` for seconds (or `m` minutes, `h` hours, `d` days)"
                )),
            );
        }
        "ms" | "us" | "ns" => {
            return Err(
                Problem::new(format!("`{written}` is shorter than a second"))
                    .help("Kubernetes counts these durations in whole seconds"),
            );
        }
        "min" | "sec" | "hr" | "w" | "M" | "H" | "S" | "D" => {
            return Err(
                Problem::new(format!("unknown duration unit `{unit}` in `{written}`"))
                    .help("duration units are `s`, `m`, `h` and `d`"),
            );
        }
        _ => {
            return Err(
                Problem::new(format!("unknown duration unit `{unit}` in `{written}`"))
                    .help("duration units are `s`, `m`, `h` and `d`"),
            );
        }
    };
    match d.times(factor) {
        Some(secs) if secs <= 10 * 365 * 86_400 => Ok(Duration { secs }),
        Some(_) => Err(Problem::new(format!(
            "`{written}` is longer than ten years"
        ))),
        None => Err(
            Problem::new(format!("`{written}` is not a whole number of seconds"))
                .help("Kubernetes counts these durations in whole seconds"),
        ),
    }
}

// ---- cron ------------------------------------------------------------------------------

struct CronField {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const CRON_FIELDS: [CronField; 5] = [
    CronField {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    CronField {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    CronField {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
    },
    CronField {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    },
    CronField {
        name: "day-of-week",
        min: 0,
        // robfig/cron, which Kubernetes uses, has no 7 for Sunday.
        max: 6,
        names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    },
];

/// The `@` shorthands Kubernetes accepts.
pub const CRON_MACROS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// Checks a cron schedule: five fields with `*`, numbers, names, ranges, steps and
/// lists, or one of [`CRON_MACROS`]. The problem's range points at the wrong field.
pub fn cron(text: &str) -> Result<(), Problem> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Problem::new("the schedule is empty")
            .help("write five fields, e.g. `\"0 3 * * *\"` for 03:00 every day"));
    }
    if trimmed.starts_with("TZ=") || trimmed.starts_with("CRON_TZ=") {
        return Err(Problem::new("time zones are not written in the schedule")
            .help("Kubernetes rejects `TZ=` in schedules; set the `timezone` field instead"));
    }
    if trimmed.starts_with('@') {
        if CRON_MACROS.contains(&trimmed) {
            return Ok(());
        }
        let help = match crate::diag::suggest::did_you_mean(trimmed, CRON_MACROS.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("known shorthands: {}", quote_list(CRON_MACROS)),
        };
        return Err(Problem::new(format!("unknown schedule shorthand `{trimmed}`")).help(help));
    }
    // Fields with their byte ranges in `text`.
    let mut fields: Vec<(&str, Range<usize>)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                fields.push((&text[s..i], s..i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        fields.push((&text[s..], s..text.len()));
    }
    if fields.len() != 5 {
        let help = if fields.len() == 6 {
            "Kubernetes schedules have no seconds field: remove the first field".to_string()
        } else {
            "write minute, hour, day of month, month and day of week, e.g. `\"0 3 * * *\"`"
                .to_string()
        };
        return Err(Problem::new(format!(
            "a schedule has 5 fields, this one has {}",
            fields.len()
        ))
        .help(help));
    }
    for ((field, range), spec) in fields.iter().zip(CRON_FIELDS.iter()) {
        if let Err(why) = cron_field(field, spec) {
            return Err(Problem::new(format!(
                "invalid {} field `{field}`: {why}",
                spec.name
            ))
            .help(format!(
                "the {} field takes {}..{}{}, `*`, ranges `a-b`, steps `*/n` and lists `a,b`",
                spec.name,
                spec.min,
                spec.max,
                if spec.names.is_empty() {
                    String::new()
                } else {
                    format!(" or names ({}..{})", spec.names[0], spec.names[spec.names.len() - 1])
                }
            ))
            .at(range.clone()));
        }
    }
    Ok(())
}

fn cron_value(word: &str, spec: &CronField) -> Result<u32, String> {
    if let Some(i) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(word)) {
        return Ok(i as u32 + spec.min);
    }
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{word}` is not a number"));
    }
    let v: u32 = word
        .parse()
        .map_err(|_| format!("`{word}` is out of range {}-{}", spec.min, spec.max))?;
    if v < spec.min || v > spec.max {
        return Err(format!("{v} is out of range {}-{}", spec.min, spec.max));
    }
    Ok(v)
}

fn cron_field(field: &str, spec: &CronField) -> Result<(), String> {
    for item in field.split(',') {
        if item.is_empty() {
            return Err("empty list item".into());
        }
        let (base, step) = match item.split_once('/') {
            Some((b, s)) => (b, Some(s)),
            None => (item, None),
        };
        if let Some(s) = step {
            match s.parse::<u32>() {
                Ok(0) => return Err("a step of 0 never advances".into()),
                Ok(n) if n > spec.max - spec.min + 1 => {
                    return Err(format!("step {n} is larger than the field's range"));
                }
                Ok(_) => {}
                Err(_) => return Err(format!("step `{s}` is not a number")),
            }
        }
        if base == "*" || base == "?" {
            continue;
        }
        match base.split_once('-') {
            Some((a, b)) => {
                let a = cron_value(a, spec)?;
                let b = cron_value(b, spec)?;
                if a > b {
                    return Err(format!("the range starts after it ends ({a} > {b})"));
                }
            }
            None => {
                cron_value(base, spec)?;
            }
        }
    }
    Ok(())
}

// ---- network ---------------------------------------------------------------------------

/// Checks an IPv4 or IPv6 CIDR block with no host bits set.
pub fn cidr(text: &str) -> Result<(), Problem> {
    let Some((addr, prefix)) = text.split_once('/') else {
        let help = if addr_ok(text) {
            format!(
                "write `{text}/{}` for this one address",
                if text.contains(':') { 128 } else { 32 }
            )
        } else {
            "write an address range such as `\"10.0.0.0/8\"`".to_string()
        };
        return Err(Problem::new(format!("`{text}` has no prefix length")).help(help));
    };
    let Ok(prefix) = prefix.parse::<u32>() else {
        return Err(Problem::new(format!("`{prefix}` is not a prefix length"))
            .at(addr.len() + 1..text.len()));
    };
    if let Ok(v4) = addr.parse::<std::net::Ipv4Addr>() {
        if prefix > 32 {
            return Err(
                Problem::new(format!("prefix length {prefix} is more than 32"))
                    .help("IPv4 prefix lengths are 0 to 32")
                    .at(addr.len() + 1..text.len()),
            );
        }
        let bits = u32::from(v4);
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        if bits & !mask != 0 {
            let net = std::net::Ipv4Addr::from(bits & mask);
            return Err(
                Problem::new(format!("`{text}` has host bits set")).help(format!(
                    "write `{net}/{prefix}` for the range, or `{addr}/32` for the one address"
                )),
            );
        }
        return Ok(());
    }
    if let Ok(v6) = addr.parse::<std::net::Ipv6Addr>() {
        if prefix > 128 {
            return Err(
                Problem::new(format!("prefix length {prefix} is more than 128"))
                    .help("IPv6 prefix lengths are 0 to 128")
                    .at(addr.len() + 1..text.len()),
            );
        }
        let bits = u128::from(v6);
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        if bits & !mask != 0 {
            let net = std::net::Ipv6Addr::from(bits & mask);
            return Err(
                Problem::new(format!("`{text}` has host bits set")).help(format!(
                    "write `{net}/{prefix}` for the range, or `{addr}/128` for the one address"
                )),
            );
        }
        return Ok(());
    }
    Err(Problem::new(format!("`{addr}` is not an IP address"))
        .help("an IPv4 address is four numbers from 0 to 255 (`10.0.0.0`); IPv6 is written `2001:db8::`")
        .at(0..addr.len()))
}

fn addr_ok(text: &str) -> bool {
    text.parse::<std::net::IpAddr>().is_ok()
}

// ---- image references ------------------------------------------------------------------

/// A parsed image reference with the byte ranges of its parts in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Everything before the tag and digest.
    pub repository: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// Where the tag is.
    pub tag_range: Option<Range<usize>>,
    /// `sha256:...`, if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Whether the reference names one image for good: a digest, or a tag other than
    /// `latest`.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some() || self.tag.as_deref().is_some_and(|t| t != "latest")
    }
}

/// Parses an image reference (`[registry[:port]/]path[:tag][@digest]`) as the
/// distribution spec defines it. Pinning is checked separately ([`ImageRef::is_pinned`]).
pub fn image(text: &str) -> Result<ImageRef, Problem> {
    if text.is_empty() {
        return Err(Problem::new("the image reference is empty"));
    }
    // The searches below are by byte: every byte looked for is ASCII, and a byte of a
    // multi-byte character is never ASCII (a char searcher costs several times more).
    // One table pass first: a reference with no space, `@` or non-ASCII byte (nearly
    // all) skips the three searches below.
    let plain = text.bytes().all(|b| !IMAGE_SPECIAL[b as usize]);
    let space = if plain {
        None
    } else if text.is_ascii() {
        // `char::is_whitespace` on ASCII: tab, line feed, vertical tab, form feed,
        // carriage return and space.
        text.bytes().position(|b| matches!(b, b'\t'..=b'\r' | b' '))
    } else {
        text.find(|c: char| c.is_whitespace())
    };
    if let Some(i) = space {
        return Err(Problem::new("an image reference contains no spaces").at(i..i + 1));
    }
    let at = if plain {
        None
    } else {
        text.bytes().position(|b| b == b'@')
    };
    let (name_tag, digest) = match at {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    if let Some(d) = digest {
        let start = name_tag.len() + 1;
        let ok = match d.split_once(':') {
            Some(("sha256", hex)) => {
                hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }
            Some(("sha512", hex)) => {
                hex.len() == 128
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }
            _ => false,
        };
        if !ok {
            return Err(Problem::new(format!("`{d}` is not a valid digest"))
                .help("a digest is `sha256:` followed by 64 lowercase hex digits")
                .at(start..text.len()));
        }
    }
    let nb = name_tag.as_bytes();
    let last_slash = nb.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let (repository, tag, tag_range) = match nb[last_slash..].iter().rposition(|&b| b == b':') {
        Some(i) => {
            let colon = last_slash + i;
            (
                &name_tag[..colon],
                Some(&name_tag[colon + 1..]),
                Some(colon + 1..name_tag.len()),
            )
        }
        None => (name_tag, None, None),
    };
    if let (Some(tag), Some(range)) = (tag, tag_range.clone()) {
        let tb = tag.as_bytes();
        let first_ok = tb
            .first()
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        let rest_ok = tb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
        if !first_ok || !rest_ok || tag.len() > 128 {
            return Err(Problem::new(format!("`{tag}` is not a valid tag"))
                .help("a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`")
                .at(range));
        }
    }
    // Components: the first is a registry host if it looks like one.
    let mut offset = 0;
    let several = repository.as_bytes().contains(&b'/');
    for (i, cb) in repository.as_bytes().split(|&b| b == b'/').enumerate() {
        // Cut at ASCII slashes: always a character boundary.
        let comp = &repository[offset..offset + cb.len()];
        let range = offset..offset + comp.len();
        offset += comp.len() + 1;
        let is_registry =
            i == 0 && several && (cb.contains(&b'.') || cb.contains(&b':') || comp == "localhost");
        if is_registry {
            let (host, port) = match comp.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (comp, None),
            };
            // Labels split by `.`, none empty, each of letters, digits and `-`: one pass.
            let mut host_ok = !host.is_empty();
            let mut prev = b'.';
            for &c in host.as_bytes() {
                let fits = if c == b'.' {
                    prev != b'.'
                } else {
                    c.is_ascii_alphanumeric() || c == b'-'
                };
                if !fits {
                    host_ok = false;
                    break;
                }
                prev = c;
            }
            host_ok = host_ok && prev != b'.';
            let port_ok =
                port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            if !host_ok || !port_ok {
                return Err(
                    Problem::new(format!("`{comp}` is not a valid registry host")).at(range),
                );
            }
            continue;
        }
        if !path_component_ok(comp) {
            let help = if comp.chars().any(|c| c.is_ascii_uppercase()) {
                format!(
                    "repository names are lowercase: `{}`",
                    comp.to_ascii_lowercase()
                )
            } else {
                "repository names are lowercase letters and digits separated by `.`, `_`, `__` or `-`".to_string()
            };
            return Err(
                Problem::new(format!("`{comp}` is not a valid repository name"))
                    .help(help)
                    .at(range),
            );
        }
    }
    Ok(ImageRef {
        repository: repository.to_string(),
        tag: tag.map(str::to_string),
        tag_range,
        digest: digest.map(str::to_string),
    })
}

fn path_component_ok(comp: &str) -> bool {
    let b = comp.as_bytes();
    if b.is_empty() {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__` or a run of `-`.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &comp[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-')) {
            return false;
        }
    }
    true
}

// ---- names -----------------------------------------------------------------------------

/// Whether `s` is a DNS-1123 label: lowercase letters, digits and `-`, starting and ending
/// with a letter or digit, at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Checks a DNS-1123 label and suggests a valid spelling.
pub fn dns_label(s: &str) -> Result<(), Problem> {
    if is_dns_label(s) {
        return Ok(());
    }
    if s.len() > 63 {
        return Err(Problem::new(format!(
            "`{s}` is {} characters long, more than the 63 Kubernetes allows",
            s.len()
        )));
    }
    let fixed = suggest_label(s);
    let mut p = Problem::new(format!("`{s}` is not a valid Kubernetes name"));
    p = if !fixed.is_empty() && fixed != s {
        p.help(format!(
            "names are lowercase letters, digits and `-` (DNS-1123 labels): write `{fixed}`"
        ))
    } else {
        p.help("names are lowercase letters, digits and `-`, starting and ending with a letter or digit (DNS-1123 labels)")
    };
    Err(p)
}

/// A DNS-1123 label close to `s`: lowercase, `_` and `.` as `-`, trimmed.
pub fn suggest_label(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            'a'..='z' | '0'..='9' | '-' => c,
            _ => '-',
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').to_string()
}

/// Whether `s` is a DNS-1123 subdomain (`a.b-c.d`), at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// Checks an ingress host: a DNS subdomain, optionally starting with `*.`.
pub fn host(s: &str) -> Result<(), Problem> {
    let rest = s.strip_prefix("*.").unwrap_or(s);
    if rest.contains("://") {
        let bare = rest.split("://").nth(1).unwrap_or("").trim_end_matches('/');
        return Err(Problem::new(format!("`{s}` is a URL, not a host name"))
            .help(format!("write the host alone: `\"{bare}\"`")));
    }
    if rest.contains('/') || rest.contains(':') {
        return Err(Problem::new(format!("`{s}` is not a host name"))
            .help("write the host alone; paths go in `path` (or `routes`), and ingresses listen on 80 and 443"));
    }
    if !is_dns_subdomain(rest) {
        let lower = rest.to_ascii_lowercase();
        let help = if lower != rest && is_dns_subdomain(&lower) {
            format!("host names are lowercase: `\"{lower}\"`")
        } else {
            "a host name is lowercase labels of letters, digits and `-` separated by dots"
                .to_string()
        };
        return Err(Problem::new(format!("`{s}` is not a valid host name")).help(help));
    }
    Ok(())
}

/// Whether `s` is a C identifier (an env var name every shell and runtime accepts).
pub fn is_c_identifier(s: &str) -> bool {
    // By bytes: a byte of a multi-byte character is never ASCII, so it fails as the
    // character would.
    let b = s.as_bytes();
    b.first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && b.iter().all(|&c| C_IDENT[c as usize])
}

/// The bytes that send [`image`] to its searches: whitespace as `char::is_whitespace`
/// has it in ASCII, `@`, and every non-ASCII byte.
static IMAGE_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b >= 0x80 || b == b'@' || matches!(b, b'\t'..=b'\r' | b' ');
        c += 1;
    }
    t
};

/// `[A-Za-z0-9_]` as a table: every env key of every app is tested byte by byte.
static C_IDENT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    t
};

/// An env var name close to `s` that is a C identifier.
pub fn suggest_env_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Checks a port name (IANA_SVC_NAME): at most 15 lowercase letters, digits and `-`, at
/// least one letter, no `-` at either end and no `--`.
pub fn port_name(s: &str) -> Result<(), Problem> {
    let b = s.as_bytes();
    let why = if b.is_empty() {
        Some("it is empty".to_string())
    } else if b.len() > 15 {
        Some(format!(
            "it is {} characters long, the limit is 15",
            b.len()
        ))
    } else if !b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        Some("only lowercase letters, digits and `-` are allowed".to_string())
    } else if !b.iter().any(|c| c.is_ascii_lowercase()) {
        Some("it needs at least one letter".to_string())
    } else if b[0] == b'-' || b[b.len() - 1] == b'-' || s.contains("--") {
        Some("`-` may not start or end it, or be doubled".to_string())
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err(
            Problem::new(format!("`{s}` is not a valid port name: {why}")).help(
                "port names are IANA service names: up to 15 lowercase letters, digits and `-`",
            ),
        ),
    }
}

/// Checks a label or annotation key: an optional DNS subdomain prefix and `/`, then a
/// name of at most 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric.
pub fn qualified_name(s: &str) -> Result<(), Problem> {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix
        && !is_dns_subdomain(p)
    {
        return Err(
            Problem::new(format!("the prefix `{p}` of `{s}` is not a DNS subdomain"))
                .help("a prefix is a lowercase domain such as `example.com/`"),
        );
    }
    if !label_value_ok(name) || name.is_empty() {
        return Err(Problem::new(format!("`{s}` is not a valid key")).help(
            "the name part is up to 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit",
        ));
    }
    Ok(())
}

/// Whether `s` is a valid label value (may be empty).
pub fn label_value_ok(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return true;
    }
    b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// Linux capabilities, as Kubernetes spells them (no `CAP_` prefix).
pub const CAPABILITIES: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

/// Checks a capability name and suggests the right spelling.
pub fn capability(s: &str) -> Result<(), Problem> {
    if CAPABILITIES.contains(&s) {
        return Ok(());
    }
    let upper = s.to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    let help = if CAPABILITIES.contains(&bare) {
        format!("write `\"{bare}\"` (Kubernetes spells capabilities in capitals, without `CAP_`)")
    } else if let Some(s) = crate::diag::suggest::did_you_mean(bare, CAPABILITIES.iter().copied()) {
        format!("did you mean `\"{s}\"`?")
    } else {
        "see capabilities(7) for the list".to_string()
    };
    Err(Problem::new(format!("`{s}` is not a Linux capability")).help(help))
}

/// `` `a`, `b`, `c` `` for messages.
pub fn quote_list(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_values() {
        assert_eq!(cpu("250", "m").unwrap().text, "250m");
        assert_eq!(cpu("1", "").unwrap().millis, 1000);
        assert_eq!(cpu("1", "").unwrap().text, "1");
        assert_eq!(cpu("0.5", "").unwrap().text, "500m");
        assert_eq!(cpu("1.5", "").unwrap().text, "1500m");
        assert!(matches!(cpu("512", "Mi"), Err(QuantityError::Mixup(_))));
        assert!(matches!(
            cpu("0.0001", ""),
            Err(QuantityError::Malformed(_))
        ));
        assert!(matches!(cpu("1", "x"), Err(QuantityError::Malformed(_))));
    }

    #[test]
    fn memory_values() {
        let m = memory("512", "Mi").unwrap();
        assert_eq!((m.bytes, m.text.as_str()), (512 << 20, "512Mi"));
        assert_eq!(memory("1.5", "Gi").unwrap().text, "1536Mi");
        assert_eq!(memory("1", "G").unwrap().bytes, 1_000_000_000);
        assert_eq!(memory("0512", "Mi").unwrap().text, "512Mi");
        assert!(matches!(memory("512", "m"), Err(QuantityError::Mixup(_))));
        assert!(matches!(
            memory("512", "MB"),
            Err(QuantityError::Malformed(_))
        ));
        assert!(matches!(
            memory("0.5", ""),
            Err(QuantityError::Malformed(_))
        ));
    }

    #[test]
    fn durations() {
        assert_eq!(duration("10", "m").unwrap().secs, 600);
        assert_eq!(duration("1.5", "m").unwrap().secs, 90);
        assert!(duration("10", "").is_err());
        assert!(duration("500", "ms").is_err());
        assert!(duration("0.5", "s").is_err());
    }

    #[test]
    fn crons() {
        for ok in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1,15 * MON-FRI",
            "30 2 * jan,jul sun",
            "@daily",
            "5-10/2 * ? * *",
        ] {
            assert!(cron(ok).is_ok(), "{ok}");
        }
        let e = cron("0 25 * * *").unwrap_err();
        assert!(e.message.contains("hour"), "{}", e.message);
        assert_eq!(e.range, Some(2..4));
        assert!(cron("0 3 * *").is_err());
        assert!(
            cron("0 0 3 * * *")
                .unwrap_err()
                .help
                .unwrap()
                .contains("seconds")
        );
        assert!(cron("@dayly").unwrap_err().help.unwrap().contains("@daily"));
        assert!(cron("0 0 * * MON-SUN").is_err());
        assert!(cron("*/0 * * * *").is_err());
        assert!(cron("0 0 * 13 *").is_err());
        assert!(cron("0 0 * * 7").is_err());
    }

    #[test]
    fn cidrs() {
        assert!(cidr("1.1.1.0/24").is_ok());
        assert!(cidr("0.0.0.0/0").is_ok());
        assert!(cidr("2001:db8::/32").is_ok());
        assert!(
            cidr("1.1.1.1/24")
                .unwrap_err()
                .help
                .unwrap()
                .contains("1.1.1.0/24")
        );
        assert!(cidr("1.1.1.1").unwrap_err().help.unwrap().contains("/32"));
        assert!(cidr("1.1.1.0/33").is_err());
        assert!(cidr("300.1.1.0/24").is_err());
    }

    #[test]
    fn images() {
        let i = image("registry.example.com/csis:1.4.2").unwrap();
        assert_eq!(i.repository, "registry.example.com/csis");
        assert_eq!(i.tag.as_deref(), Some("1.4.2"));
        assert!(i.is_pinned());
        let l = image("registry.example.com/csis:latest").unwrap();
        assert!(!l.is_pinned());
        assert_eq!(l.tag_range, Some(26..32));
        assert!(!image("nginx").unwrap().is_pinned());
        assert!(image("localhost:5000/app:1").unwrap().is_pinned());
        assert_eq!(image("localhost:5000/app").unwrap().tag, None);
        let d = format!("nginx@sha256:{}", "a".repeat(64));
        assert!(image(&d).unwrap().is_pinned());
        assert!(image("nginx@sha256:abc").is_err());
        assert!(image("Registry/App:1").is_err() || image("Registry/App:1").is_ok());
        assert!(image("example.com/App:1").is_err());
        assert!(image("example.com/app:-x").is_err());
    }

    #[test]
    fn names() {
        assert!(is_dns_label("csis-web"));
        assert!(!is_dns_label("csis_web"));
        assert_eq!(suggest_label("My_Web"), "my-web");
        assert!(is_c_identifier("RAILS_ENV"));
        assert!(!is_c_identifier("RAILS-ENV"));
        assert!(!is_c_identifier("1X"));
        assert!(port_name("http").is_ok());
        assert!(port_name("metrics-exporter-x").is_err());
        assert!(port_name("123").is_err());
        assert!(qualified_name("app.kubernetes.io/part-of").is_ok());
        assert!(qualified_name("team").is_ok());
        assert!(qualified_name("Bad_Prefix/x").is_err());
        assert!(host("csis.example.com").is_ok());
        assert!(host("*.example.com").is_ok());
        assert!(host("https://csis.example.com/").is_err());
        assert!(capability("NET_BIND_SERVICE").is_ok());
        assert!(
            capability("CAP_NET_ADMIN")
                .unwrap_err()
                .help
                .unwrap()
                .contains("\"NET_ADMIN\"")
        );
    }
}
