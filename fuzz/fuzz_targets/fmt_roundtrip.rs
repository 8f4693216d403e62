//! Fuzz target `fmt_roundtrip`: see `kiln_fuzz::fmt_roundtrip` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::fmt_roundtrip(data);
});
