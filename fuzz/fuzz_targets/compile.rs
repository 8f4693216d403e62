//! Fuzz target `compile`: see `kiln_fuzz::compile` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::compile(data);
});
