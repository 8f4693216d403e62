//! Fuzz target `diff_input`: see `kiln_fuzz::diff_input` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::diff_input(data);
});
