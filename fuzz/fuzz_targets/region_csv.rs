#![no_main]
//! `safeloop::fuzz_checks::region_csv`: what must hold for any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| safeloop::fuzz_checks::region_csv(data));
