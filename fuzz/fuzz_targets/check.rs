//! Fuzz target `check`: see `kiln_fuzz::check` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::check(data);
});
