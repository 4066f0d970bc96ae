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
}
