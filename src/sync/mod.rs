//! Offline field work: one feed of puts and removals behind an opaque checkpoint, write
//! checkpoints, and the offline pack of catalogs. Resumable photo uploads (tus) live with the
//! other photo uploads in `evidence/`.

pub mod api;
pub mod checkpoint;
pub mod entities;
pub mod feed;
pub mod log;
pub mod pack;
