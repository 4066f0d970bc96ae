#![no_main]
//! `safeloop::fuzz_checks::credit_code`: what must hold for any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| safeloop::fuzz_checks::credit_code(data));
