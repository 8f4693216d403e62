//! Fuzz target `lsp_session`: see `kiln_fuzz::lsp_session` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::lsp_session(data);
});
