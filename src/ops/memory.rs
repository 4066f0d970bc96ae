//! How the server holds memory. The allocator is mimalloc: every thread allocates from a heap
//! of its own without a lock, where glibc's malloc made the threads of a busy list page queue on
//! its arena locks (lock waits and wake-ups were a fifth of a page's CPU) and, left to itself,
//! kept 200 MiB of a burst of photo uploads resident for good.
//!
//! mimalloc hands pages freed for a while back to the system by itself; `release_freed` does it
//! at once, after the workers are built and between bursts of photos.
//!
//! Measured with `scripts/bench-list` and `scripts/bench-uploads` (README, "Performance").

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands memory the allocator holds free back to the system.
pub fn release_freed() {
    // SAFETY: mi_collect only returns free pages to the system; it touches no live allocation
    // and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
