#![no_main]
//! `safeloop::fuzz_checks::photo_inspection`: what must hold for any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| safeloop::fuzz_checks::photo_inspection(data));
