//! Compact JSON text for the hash a Job's name carries (`job::runs_hash`): the bytes
//! `serde_json::to_writer` writes, for the part of the serde data model k8s-openapi's pod
//! types use (structs, maps with string keys, sequences, strings, numbers, booleans,
//! options), with less work per value: a string that needs no escape is copied as it
//! is, separators are single-byte pushes. Strings that need escaping and numbers are
//! written by serde_json itself. Anything else (bytes, enum variants with data) is an
//! error, and the caller writes the whole text with serde_json instead: the text, so the
//! hash and the Job names, never depend on which writer ran.

// A value this writer leaves to serde_json (or an error serde_json reports too).
use crate::emit::{Unsupported, word};
use serde::ser::{self, Serialize};

type Result<T = ()> = std::result::Result<T, Unsupported>;

/// Appends the JSON text of `value` to `out`; on an error `out` holds a partial text.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result {
    let mut names = Names::take();
    let result = value.serialize(Ser {
        out,
        names: &mut names,
    });
    names.give_back();
    result
}

/// Slots of [`Names`].
const SLOTS: usize = 512;

/// A struct field name as written: its address and length (the same address and length
/// are the same bytes: field names are static strings) and `,"name":`.
#[derive(Default)]
struct Name {
    addr: usize,
    len: usize,
    text: Vec<u8>,
}

/// Struct field names as written, by address: the pod types' field names are a few
/// hundred static strings written tens of thousands of times, so each is escaped (or
/// found to need no escape) once and then copied whole with its comma and colon.
struct Names {
    slots: Box<[Name]>,
}

thread_local! {
    /// Each thread's [`Names`], lent to one [`write`] at a time.
    static NAMES: std::cell::Cell<Option<Names>> = const { std::cell::Cell::new(None) };
}

impl Names {
    /// This thread's cache (a fresh one the first time, or while it is lent).
    fn take() -> Names {
        let kept = NAMES.try_with(std::cell::Cell::take).ok().flatten();
        kept.unwrap_or_else(|| Names {
            slots: (0..SLOTS).map(|_| Name::default()).collect(),
        })
    }

    /// Gives the cache back to the thread for its next text.
    fn give_back(self) {
        let _ = NAMES.try_with(|n| n.set(Some(self)));
    }

    /// `,"name":` as serde_json writes it (the name escaped if it must be).
    #[inline]
    fn field(&mut self, key: &'static str) -> &[u8] {
        let addr = key.as_ptr() as usize;
        // Fibonacci hashing: the names lie close together in memory, and the high bits
        // of the product spread them over the slots.
        let slot = ((addr as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 55) as usize % SLOTS;
        let Some(e) = self.slots.get_mut(slot) else {
            return b"";
        };
        if e.addr != addr || e.len != key.len() || e.text.is_empty() {
            render_name(e, key);
        }
        &e.text
    }
}

/// Fills a [`Names`] slot.
#[cold]
fn render_name(e: &mut Name, key: &'static str) {
    e.addr = key.as_ptr() as usize;
    e.len = key.len();
    e.text.clear();
    e.text.push(b',');
    if string(&mut e.text, key).is_err() {
        // serde_json writes every string; an error here is not reachable, and an
        // empty text is rendered again next time.
        e.text.clear();
        return;
    }
    e.text.push(b':');
}

/// serde_json's text of a number, string or other scalar.
fn delegate<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result {
    serde_json::to_writer(out, value).map_err(|_| Unsupported)
}

/// Whether some byte of `s` is escaped by serde_json: a control character (below
/// 0x20), `"` or `\`. Eight bytes at a time: `(w - 0x0101..01 * n) & !w & 0x8080..80`
/// is non-zero exactly when some byte of `w` is below `n` (n ≤ 128), and a byte equal
/// to `c` is a zero byte of `w ^ (0x0101..01 * c)`. The last bytes are read as one more
/// word that overlaps the one before (or, for a string shorter than a word, as two
/// overlapping halves): reading a byte twice does not change the answer.
fn needs_escape(s: &[u8]) -> bool {
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        if escape_in(word(c)) {
            return true;
        }
    }
    if chunks.remainder().is_empty() {
        return false;
    }
    let last = match s.len().checked_sub(8).and_then(|from| s.get(from..)) {
        Some(last) => word(last),
        None => short_word(s),
    };
    escape_in(last)
}

/// Whether some byte of `w` is below 0x20, `"` or `\`.
#[inline]
fn escape_in(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    below(w, 0x20)
        | below(w ^ (ONES * u64::from(b'"')), 1)
        | below(w ^ (ONES * u64::from(b'\\')), 1)
        != 0
}

/// The bytes of a string of 1 to 7 bytes as a word of bytes of it (some repeated, none
/// left out): two overlapping 4-byte halves, or for 1 to 3 bytes the first, middle and
/// last byte. Pads with copies of the string's own bytes, never with zeros (a zero
/// byte would read as a control character).
#[inline]
fn short_word(s: &[u8]) -> u64 {
    let n = s.len();
    if n >= 4 {
        let half = |from: usize| {
            let mut h = [0; 4];
            if let Some(b) = s.get(from..from + 4) {
                h.copy_from_slice(b);
            }
            u64::from(u32::from_le_bytes(h))
        };
        half(0) | half(n - 4) << 32
    } else {
        let b = |i: usize| u64::from(s.get(i).copied().unwrap_or(b'a'));
        let (first, mid, last) = (b(0), b(n / 2), b(n.saturating_sub(1)));
        first
            | mid << 8
            | last << 16
            | first << 24
            | first << 32
            | first << 40
            | first << 48
            | first << 56
    }
}

/// A JSON string: `"`, the text, `"` when no byte needs an escape, else serde_json's
/// escaped text.
fn string(out: &mut Vec<u8>, s: &str) -> Result {
    if needs_escape(s.as_bytes()) {
        return delegate(out, s);
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

struct Ser<'a> {
    out: &'a mut Vec<u8>,
    names: &'a mut Names,
}

/// Where a sequence or map is, as serde_json tracks it: `Empty` when its length was
/// given as 0 (serde_json then writes `[]` or `{}` at once and nothing at the end).
#[derive(PartialEq, Eq)]
enum State {
    Empty,
    First,
    Rest,
}

struct Compound<'a> {
    out: &'a mut Vec<u8>,
    names: &'a mut Names,
    state: State,
}

impl Compound<'_> {
    /// serde_json's `begin_array_value` / `begin_object_key`: a comma unless first.
    fn comma(&mut self) {
        if self.state != State::First {
            self.out.push(b',');
        }
        self.state = State::Rest;
    }

    fn close(self, end: u8) -> Result {
        if self.state != State::Empty {
            self.out.push(end);
        }
        Ok(())
    }

    /// A value inside this sequence or map.
    #[inline]
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Ser {
            out: self.out,
            names: self.names,
        })
    }
}

fn open<'a>(ser: Ser<'a>, len: Option<usize>, start: u8, end: u8) -> Compound<'a> {
    ser.out.push(start);
    let state = if len == Some(0) {
        ser.out.push(end);
        State::Empty
    } else {
        State::First
    };
    Compound {
        out: ser.out,
        names: ser.names,
        state,
    }
}

/// The decimal digits of `n`, after a `-` when `neg`: itoa's text, which serde_json
/// writes for every integer type.
fn push_int(out: &mut Vec<u8>, n: u64, neg: bool) {
    if neg {
        out.push(b'-');
    }
    out.extend_from_slice(crate::emit::decimal_digits(n, &mut [0; 20]));
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result {
        push_int(self.out, v.unsigned_abs(), v < 0);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result {
        delegate(self.out, &v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result {
        push_int(self.out, v, false);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result {
        delegate(self.out, &v)
    }
    fn serialize_f32(self, v: f32) -> Result {
        delegate(self.out, &v)
    }
    fn serialize_f64(self, v: f64) -> Result {
        delegate(self.out, &v)
    }
    fn serialize_char(self, v: char) -> Result {
        string(self.out, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        string(self.out, v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        string(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(Unsupported)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>> {
        Ok(open(self, len, b'[', b']'))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>> {
        Ok(open(self, len, b'{', b'}'))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'a>> {
        // serde_json treats its raw-value token struct specially.
        if name.starts_with("$serde_json") {
            return Err(Unsupported);
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.comma();
        self.value(value)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.comma();
        // serde_json writes a string key (a `str`, `char`, unit variant, or one of these
        // in a newtype or `Some`) as this writer does, and quotes other scalars: a key
        // whose text does not start with `"` is left to serde_json.
        let at = self.out.len();
        self.value(key)?;
        if self.out.get(at) == Some(&b'"') {
            Ok(())
        } else {
            Err(Unsupported)
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.out.push(b':');
        self.value(value)
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        // `,"key":` from the cache, without its comma for the first field (the comma
        // of serde_json's `begin_object_key`).
        let skip = usize::from(self.state == State::First);
        let text = self.names.field(key);
        match text.get(skip..) {
            Some(text) if !text.is_empty() => self.out.extend_from_slice(text),
            _ => {
                self.comma();
                string(self.out, key)?;
                self.out.push(b':');
            }
        }
        self.state = State::Rest;
        self.value(value)
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn both<T: Serialize>(value: &T) -> (Option<String>, String) {
        let mut out = Vec::new();
        let ours = write(&mut out, value)
            .ok()
            .map(|()| String::from_utf8(out).unwrap_or_default());
        (ours, serde_json::to_string(value).unwrap_or_default())
    }

    #[test]
    fn same_text_as_serde_json() {
        let mut m = BTreeMap::new();
        m.insert("a\"b".to_owned(), "x\ny\u{1}\\é\t".to_owned());
        m.insert("plain".to_owned(), String::new());
        let values = serde_json::json!({
            "s": ["a", "", "\u{7f}", "\u{1f}"],
            "n": [0, -1, 42, u64::MAX, 1.5, -0.0],
            "b": [true, false, null],
            "e": [[], {}],
        });
        for (ours, theirs) in [
            both(&m),
            both(&values),
            both(&(1u8, "x", 'c', None::<i32>, Some(3i64))),
            both(&BTreeMap::<String, i32>::new()),
            both(&Vec::<i32>::new()),
        ] {
            assert_eq!(ours.as_deref(), Some(theirs.as_str()));
        }
    }

    #[test]
    fn every_byte_in_every_position() {
        // Each ASCII byte at each position of a 1..=17 byte string (both the 8-byte
        // words and the tail).
        for len in 1..=17 {
            for at in 0..len {
                for b in 0u8..0x80 {
                    let mut v = vec![b'a'; len];
                    if let Some(x) = v.get_mut(at) {
                        *x = b;
                    }
                    let s = String::from_utf8(v).unwrap_or_default();
                    let expect = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(needs_escape(s.as_bytes()), expect, "{s:?}");
                    let (ours, theirs) = both(&s);
                    assert_eq!(ours.as_deref(), Some(theirs.as_str()));
                }
            }
        }
        assert!(!needs_escape("é€𝄞 non-ASCII is never escaped".as_bytes()));
    }

    #[test]
    fn escapes_found_among_non_ascii_bytes() {
        // Bytes above 0x7f around each byte that needs an escape (and around none), at
        // every position of 1..=17 byte strings: the words and the overlapping tail.
        let fillers = ["é", "€", "\u{7f}", "a"];
        for len in 1..=17 {
            for at in 0..len {
                for filler in fillers {
                    for special in ["\"", "\\", "\u{0}", "\u{1f}", " ", "z"] {
                        let s: String = (0..len)
                            .map(|i| if i == at { special } else { filler })
                            .collect();
                        let expect = s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
                        assert_eq!(needs_escape(s.as_bytes()), expect, "{s:?}");
                        let (ours, theirs) = both(&s);
                        assert_eq!(ours.as_deref(), Some(theirs.as_str()));
                    }
                }
            }
        }
    }

    #[test]
    fn field_names_repeat_from_the_cache() {
        // The same struct twice (names rendered, then copied), and a struct that is
        // first after one that is not (the comma left out only for the first field).
        #[derive(serde::Serialize)]
        struct Inner {
            #[serde(rename = "a\"b")]
            quoted: u8,
            plain: i64,
        }
        #[derive(serde::Serialize)]
        struct Outer {
            first: Inner,
            second: Vec<Inner>,
        }
        let v = Outer {
            first: Inner {
                quoted: 1,
                plain: -7,
            },
            second: vec![
                Inner {
                    quoted: 2,
                    plain: i64::MIN,
                },
                Inner {
                    quoted: 255,
                    plain: i64::MAX,
                },
            ],
        };
        for _ in 0..3 {
            let (ours, theirs) = both(&v);
            assert_eq!(ours.as_deref(), Some(theirs.as_str()));
        }
    }

    #[test]
    fn non_string_keys_are_left_to_serde_json() {
        let mut m = BTreeMap::new();
        m.insert(1, 2);
        let (ours, _) = both(&m);
        assert_eq!(ours, None);
    }

    #[test]
    fn pod_templates_hash_the_serde_json_text() {
        use k8s_openapi::api::core::v1 as core;
        let mut labels = BTreeMap::new();
        labels.insert("app.kubernetes.io/name".to_owned(), "a \"b\"\n".to_owned());
        let t = core::PodTemplateSpec {
            metadata: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                labels: Some(labels),
                ..Default::default()
            }),
            spec: Some(core::PodSpec {
                containers: vec![core::Container {
                    name: "c".to_owned(),
                    args: Some(vec!["--x=\\y".to_owned(), String::new()]),
                    ports: Some(vec![core::ContainerPort {
                        container_port: 8080,
                        ..Default::default()
                    }]),
                    ..Default::default()
                }],
                termination_grace_period_seconds: Some(30),
                enable_service_links: Some(false),
                ..Default::default()
            }),
        };
        let (ours, theirs) = both(&t);
        assert_eq!(ours.as_deref(), Some(theirs.as_str()));
    }
}
