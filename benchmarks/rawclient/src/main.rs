//! The floor for every workload of `benchmarks/run.sh`: bare reqwest + serde_json, no models,
//! no retries, no Python. Prints one JSON object on stdout: the rate, and `cpu_us`, this
//! process's CPU (all threads) per unit over the measured section.
//!
//! rawclient sync <url> <canvas> <seconds>        sequential requests/s
//! rawclient calls <url> <canvas> <n>             exactly n sequential requests (for callgrind)
//! rawclient async <url> <canvas> <seconds> <n>   requests/s with n in flight
//! rawclient stream <url> <canvas>                events/s of one stream (JSON parsed per event)
//! rawclient streams <url> <canvas> <n>           events/s of n short streams, one after another
//! rawclient base64 <path>                        seconds to build the data: URL of a file

use std::time::{Duration, Instant};

use serde_json::{Value, json};

const KEY: &str = "Bearer bench-key";
const VARIABLES: &str = r#"{"document": "Invoice #1042: 3 items, total 1,250 EUR", "lang": "en"}"#;

/// This process's CPU (user + system, all threads) so far, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Units per second and CPU microseconds per unit of the measured section only.
struct Rate {
    rate: f64,
    cpu_us: f64,
}

fn rate_of(units: u64, start: Instant, cpu0: f64) -> Rate {
    let units = units.max(1) as f64;
    Rate {
        rate: units / start.elapsed().as_secs_f64(),
        cpu_us: (cpu_seconds() - cpu0) / units * 1e6,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .no_proxy()
        .build()
        .expect("client")
}

async fn create(client: &reqwest::Client, url: &str, body: &Value) -> usize {
    let resp = client
        .post(url)
        .header("Authorization", KEY)
        .json(body)
        .send()
        .await
        .expect("send");
    let v: Value = resp.json().await.expect("json");
    v["choices"].as_array().map_or(0, Vec::len)
}

async fn sync_rate(url: &str, canvas: &str, seconds: f64) -> Rate {
    let (c, body) = (client(), request_body(canvas, false));
    for _ in 0..20 {
        create(&c, url, &body).await;
    }
    let (start, cpu0, mut done) = (Instant::now(), cpu_seconds(), 0u64);
    while start.elapsed().as_secs_f64() < seconds {
        assert!(create(&c, url, &body).await > 0);
        done += 1;
    }
    rate_of(done, start, cpu0)
}

/// Exactly `n` sequential requests after the same warm-up, on one thread: `instructions.py`
/// runs this under callgrind for two values of `n`; the difference is the cost of one request.
async fn calls(url: &str, canvas: &str, n: u64) -> Rate {
    let (c, body) = (client(), request_body(canvas, false));
    for _ in 0..20 {
        create(&c, url, &body).await;
    }
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    for _ in 0..n {
        assert!(create(&c, url, &body).await > 0);
    }
    rate_of(n, start, cpu0)
}

async fn async_rate(url: &str, canvas: &str, seconds: f64, n: usize) -> Rate {
    let (c, body) = (client(), request_body(canvas, false));
    futures::future::join_all((0..n).map(|_| create(&c, url, &body))).await;
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let deadline = start + Duration::from_secs_f64(seconds);
    let workers = (0..n).map(|_| {
        let (c, body, url) = (c.clone(), body.clone(), url.to_owned());
        tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                create(&c, &url, &body).await;
                done += 1;
            }
            done
        })
    });
    let done: u64 = futures::future::join_all(workers)
        .await
        .into_iter()
        .map(|r| r.expect("worker"))
        .sum();
    rate_of(done, start, cpu0)
}

/// Reads one stream: frames cut at each blank line straight out of the received chunk, one
/// `serde_json::Value` parse per event; only an event split across two chunks is copied.
async fn stream_rate(url: &str, canvas: &str) -> Rate {
    let c = client();
    let blank = memchr::memmem::Finder::new(b"\n\n");
    let body = request_body(canvas, true);
    let mut best = Rate {
        rate: 0.0,
        cpu_us: 0.0,
    };
    for _ in 0..2 {
        let (start, cpu0) = (Instant::now(), cpu_seconds());
        let events = read_stream(&c, url, &body, &blank).await;
        let this = rate_of(events, start, cpu0);
        if this.rate > best.rate {
            best = this;
        }
    }
    best
}

/// `n` streams one after another on one client (the 200 short streams workload).
async fn streams_rate(url: &str, canvas: &str, n: usize) -> Rate {
    let c = client();
    let blank = memchr::memmem::Finder::new(b"\n\n");
    let body = request_body(canvas, true);
    read_stream(&c, url, &body, &blank).await;
    let (start, cpu0) = (Instant::now(), cpu_seconds());
    let mut events = 0;
    for _ in 0..n {
        events += read_stream(&c, url, &body, &blank).await;
    }
    rate_of(events, start, cpu0)
}

/// Reads one stream to its end, parsing each event into a `Value`; returns the events.
async fn read_stream(
    c: &reqwest::Client,
    url: &str,
    body: &Value,
    blank: &memchr::memmem::Finder<'_>,
) -> u64 {
    let mut resp = c
        .post(url)
        .header("Authorization", KEY)
        .json(body)
        .send()
        .await
        .expect("send");
    let (mut carry, mut events, mut done) = (Vec::<u8>::new(), 0u64, false);
    let mut on_frame = |frame: &[u8]| -> bool {
        let Some(data) = frame.strip_prefix(b"data: ") else {
            return false;
        };
        if data.starts_with(b"[DONE]") {
            return true;
        }
        let v: Value = serde_json::from_slice(data).expect("event json");
        events += v["choices"][0]["delta"]["content"].is_string() as u64 | 1;
        false
    };
    while !done {
        let Some(chunk) = resp.chunk().await.expect("chunk") else {
            break;
        };
        let mut rest: &[u8] = &chunk;
        if !carry.is_empty() {
            // Finish the event begun in the last chunk (its end may straddle the seam).
            let seam = carry.len().saturating_sub(1);
            carry.extend_from_slice(rest);
            match blank.find(&carry[seam..]) {
                Some(at) => {
                    let end = seam + at;
                    done = on_frame(&carry[..end]);
                    rest = &chunk[end + 2 - (carry.len() - chunk.len())..];
                    carry.clear();
                }
                None => continue,
            }
        }
        while !done {
            match blank.find(rest) {
                Some(end) => {
                    done = on_frame(&rest[..end]);
                    rest = &rest[end + 2..];
                }
                None => {
                    carry.extend_from_slice(rest);
                    break;
                }
            }
        }
    }
    events
}

fn request_body(canvas: &str, stream: bool) -> Value {
    let variables: Value = serde_json::from_str(VARIABLES).expect("variables");
    if stream {
        json!({"canvas_id": canvas, "stream": true})
    } else {
        json!({"canvas_id": canvas, "variables": variables})
    }
}

/// Reads the whole file, then encodes it with base64-simd into one String (what a Rust
/// program would do; the SDK streams the file instead).
fn base64_seconds(path: &str) -> f64 {
    let start = Instant::now();
    let data = std::fs::read(path).expect("read");
    let mut url = String::from("data:application/pdf;base64,");
    base64_simd::STANDARD.encode_append(&data, &mut url);
    std::hint::black_box(&url);
    start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
    let endpoint = format!("{}/v2/chat/completions", arg(2));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let out = match arg(1) {
        "sync" => {
            let r = rt.block_on(sync_rate(&endpoint, arg(3), arg(4).parse().unwrap()));
            json!({"rate": r.rate, "cpu_us": r.cpu_us})
        }
        "calls" => {
            // One thread, as the SDK's blocking calls run (a current-thread runtime per thread).
            let one = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let r = one.block_on(calls(&endpoint, arg(3), arg(4).parse().unwrap()));
            json!({"rate": r.rate, "cpu_us": r.cpu_us})
        }
        "async" => {
            let (secs, n) = (arg(4).parse().unwrap(), arg(5).parse().unwrap());
            let r = rt.block_on(async_rate(&endpoint, arg(3), secs, n));
            json!({"rate": r.rate, "cpu_us": r.cpu_us})
        }
        "stream" => {
            // On a worker thread, as the SDK reads, not on the thread that blocks in
            // `block_on` (a cross-thread wake-up per event would dominate).
            let canvas = arg(3).to_owned();
            let r = rt.block_on(async move {
                tokio::spawn(async move { stream_rate(&endpoint, &canvas).await })
                    .await
                    .expect("stream task")
            });
            json!({"rate": r.rate, "cpu_us": r.cpu_us})
        }
        "streams" => {
            let canvas = arg(3).to_owned();
            let n: usize = arg(4).parse().unwrap();
            let r = rt.block_on(async move {
                tokio::spawn(async move { streams_rate(&endpoint, &canvas, n).await })
                    .await
                    .expect("streams task")
            });
            json!({"rate": r.rate, "cpu_us": r.cpu_us})
        }
        "base64" => json!({"seconds": base64_seconds(arg(2))}),
        other => panic!("unknown mode {other:?}: sync | calls | async | stream | streams | base64"),
    };
    println!("{out}");
}
