#![no_main]
//! `safeloop::fuzz_checks::request_json`: what must hold for any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| safeloop::fuzz_checks::request_json(data));
