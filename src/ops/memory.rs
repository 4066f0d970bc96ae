//! How the server holds memory. glibc gives each busy thread an arena of its own (up to eight
//! per core) and keeps what is freed there for reuse, so a burst of photo uploads, each a few
//! MiB held by a different blocking thread, left 200 MiB resident for good. The arenas are
//! limited to one per core (decoding is bounded by the cores anyway), and memory left free is
//! handed back once each worker is built and between bursts of photos.
//!
//! Measured with `scripts/bench-uploads` (100 uploads of 12 MP photos at once, two cores): peak
//! RSS 203 → 111 MiB, 120 → 43 MiB twelve seconds after the burst, the same wall time.
//!
//! mimalloc was tried in its place (`scripts/bench-list`, `scripts/bench-uploads`): list pages
//! took 0.43 ms of CPU instead of 0.50, but the idle server held 67 MiB instead of 46, and 100
//! uploads at once peaked at 582 MiB instead of ~150, over the 400 MiB budget, with 279 MiB
//! still held twelve seconds later. The pages found their time elsewhere (`db::read`,
//! `db::StoredTime`, SQLite without its per-call mutex).

/// Limits the allocator to `cores` arenas. Call before any thread is started.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_arenas(cores: usize) {
    let arenas = libc::c_int::try_from(cores.max(1)).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only changes the allocator's settings; called before other threads run.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

/// Hands memory the allocator holds free back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_freed() {
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas to the kernel; it
    // touches no live allocation and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas(_cores: usize) {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
