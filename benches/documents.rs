//! Documents per second: the rectification notice of the golden record typeset again and
//! again (fresh verification codes, so nothing is cached between them), one at a time and then
//! on every core, with the process's peak memory.
//!
//! `cargo bench --bench documents` (`BENCH_DOCUMENTS=200` by default). Under `cargo test` it
//! typesets a few, so the measurement cannot rot.

use std::time::{Duration, Instant};

use safeloop::documents::{issue, kind::DocumentKind, templates};
use serde_json::{Value, json};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn document(base: &Value, i: usize) -> Value {
    let mut data = base.clone();
    data["number"] = json!(format!("（赣县）应急责改〔2026〕{i}号"));
    data["verify"]["code"] = json!(format!("BNCH-{:04}-{:04}", i / 10_000, i % 10_000));
    data["verify"]["url"] = json!(format!("https://aq.ganxian.gov.cn/verify/BNCH{i:08}"));
    data
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let count: usize = match std::env::var("BENCH_DOCUMENTS") {
        Ok(n) if benchmarking => n.parse().expect("BENCH_DOCUMENTS is a number"),
        _ if benchmarking => 200,
        _ => 4,
    };
    let base: Value =
        serde_json::from_str(include_str!("../tests/golden/rectification_notice.json"))
            .expect("the golden record");
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
        .unwrap()
        .and_hms_opt(2, 15, 0)
        .unwrap();
    let files = templates::load(None).expect("templates");
    let render = |data: &Value| {
        issue::render(
            DocumentKind::RectificationNotice,
            data,
            files.clone(),
            &[],
            at,
        )
        .expect("typeset")
    };
    let baseline = peak_rss_mib();
    let first = Instant::now();
    let bytes = render(&document(&base, 0)).len();
    let first = first.elapsed();

    let mut times: Vec<Duration> = (1..=count)
        .map(|i| {
            let data = document(&base, i);
            let started = Instant::now();
            render(&data);
            started.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(times[times.len() / 2]);
    let p90 = ms(times[(times.len() * 9).div_ceil(10) - 1]);
    let peak_one = peak_rss_mib();

    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for core in 0..cores {
            let (base, render) = (&base, &render);
            scope.spawn(move || {
                for i in (0..count).filter(|i| i % cores == core) {
                    render(&document(base, 100_000 + i));
                }
            });
        }
    });
    let per_second = count as f64 / started.elapsed().as_secs_f64();
    println!(
        "documents: {bytes} bytes each; first {:.0} ms (fonts and library); then median {median:.1} ms, p90 {p90:.1} ms over {count}; peak RSS {peak_one:.0} MiB one at a time (baseline {baseline:.0} MiB), {:.0} MiB on {cores} threads; {per_second:.1} documents/s on {cores} cores",
        ms(first),
        peak_rss_mib()
    );
}
