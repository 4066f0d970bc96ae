//! Photo ingest speed and memory: sniff + dimensions + EXIF + SHA-256 + 320 px thumbnail, the
//! CPU part of every upload, over a corpus of phone JPEGs (`scripts/bench-photos` makes one and
//! runs libvips' `vipsthumbnail` beside it). Under `cargo test` it runs once on a small
//! generated photo, so the benchmark itself cannot rot.

use std::time::{Duration, Instant};

use safeloop::evidence::inspect;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = std::env::var("PHOTO_CORPUS")
        .expect("set PHOTO_CORPUS to a directory of JPEGs (scripts/bench-photos does)");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("PHOTO_CORPUS is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("jpg")))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

fn generated() -> Vec<(String, Vec<u8>)> {
    let image = image::RgbImage::from_fn(1200, 900, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&image)
        .unwrap();
    vec![("generated".into(), jpeg)]
}

/// The CPU time this process has used, user and system, from /proc (what bench-uploads reads
/// for the server).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Every photo ingested once by as many threads as there are cores, as the server's image
/// semaphore lets them: the CPU a photo costs under that load, the figure an upload's CPU is
/// compared with.
fn cpu_per_photo_in_parallel(photos: &[(String, Vec<u8>)]) -> (usize, f64) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let before = cpu_seconds();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((name, bytes)) = photos.get(i) else {
                        break;
                    };
                    inspect::inspect(bytes, 50_000_000).unwrap_or_else(|e| panic!("{name}: {e}"));
                }
            });
        }
    });
    (
        threads,
        (cpu_seconds() - before) * 1000.0 / photos.len() as f64,
    )
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let photos = if benchmarking { corpus() } else { generated() };
    let rounds = if benchmarking { 5 } else { 1 };
    let baseline_rss = peak_rss_mib();
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..=rounds {
        for (name, bytes) in &photos {
            let started = Instant::now();
            let inspected =
                inspect::inspect(bytes, 50_000_000).unwrap_or_else(|e| panic!("{name}: {e}"));
            let elapsed = started.elapsed();
            assert!(!inspected.thumbnail.is_empty());
            if round > 0 {
                times.push(elapsed); // round 0 warms caches
            }
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "photo ingest over {} photo(s) x {rounds}: median {:.1} ms, mean {:.1} ms per photo; peak RSS {:.1} MiB (baseline {:.1} MiB); decoder: {}",
        photos.len(),
        median.as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        peak_rss_mib(),
        baseline_rss,
        safeloop::evidence::jpeg::in_use(),
    );
    // After the line above, whose peak memory is one photo at a time.
    let (threads, cpu_ms) = cpu_per_photo_in_parallel(&photos);
    println!(
        "photo ingest CPU with {threads} threads at once: {cpu_ms:.1} ms per photo (the reference for an upload's CPU)"
    );
}
