//! Fuzz target `parse`: see `kiln_fuzz::parse` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::parse(data);
});
