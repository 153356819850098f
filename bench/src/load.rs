//! The load generator: HTTP/1.1 keep-alive connections from one thread.
//!
//! * **Closed loop** (throughput): each connection sends its next request as soon as the previous
//!   answer is read. Throughput at a given concurrency.
//! * **Open loop** (latency): requests are due on a fixed schedule (`rate` per second spread over
//!   the connections) whether or not earlier ones have been answered, and latency is measured from
//!   the time a request was *due*, not from when it could be sent. A stall therefore shows up in
//!   every request it delayed (no coordinated omission), as with wrk2.
//!
//! The generator runs on a single-threaded runtime so that on a small machine it takes at most
//! one core away from the server and PostgreSQL.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http::header::{CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN};
use http::{Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

/// What to request: a server address, the `Host` it should see, a path and an optional cookie;
/// or, when `posts` is not empty, a form POST to the path.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
    pub cookie: Option<String>,
    /// Form submissions, each as its own signed-in member: connection `i` sends `posts[i % n]`.
    pub posts: Vec<FormPost>,
}

/// A same-origin form POST as a signed-in browser sends it (session and CSRF cookies, the
/// CSRF token in the body).
#[derive(Clone, Debug)]
pub struct FormPost {
    pub cookie: String,
    pub body: String,
}

impl Target {
    fn request(&self, connection: usize) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .uri(self.path.as_str())
            .header(HOST, self.host.as_str());
        if self.posts.is_empty() {
            if let Some(cookie) = &self.cookie {
                builder = builder.header(COOKIE, cookie.as_str());
            }
            return Ok(builder.method(Method::GET).body(Full::default())?);
        }
        let post = &self.posts[connection % self.posts.len()];
        Ok(builder
            .method(Method::POST)
            .header(COOKIE, post.cookie.as_str())
            .header(ORIGIN, format!("http://{}", self.host))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(post.body.clone())))?)
    }

    /// Whether an answer is the one a working page gives: 2xx for a page, the form's 303
    /// redirect for a submission.
    pub fn succeeded(&self, status: u16) -> bool {
        if self.posts.is_empty() {
            (200..300).contains(&status)
        } else {
            status == 303
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Next request as soon as the previous answer arrived.
    Closed,
    /// `rate` requests per second in all, on a schedule.
    Open { rate: f64 },
}

#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub mode: Mode,
    pub connections: usize,
    /// Requests before this much time has passed are not counted (connections, caches, plans).
    pub warmup: Duration,
    pub duration: Duration,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub connections: usize,
    /// Offered rate (open loop only).
    pub rate: Option<f64>,
    pub requests: u64,
    /// Answers that were not what a working page gives (2xx; 303 for a form), and transport
    /// errors.
    pub errors: u64,
    /// Answers by HTTP status. A request that got no answer (the connection failed) is in
    /// `errors` only.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer at all (the connection failed).
    pub no_answer: u64,
    pub seconds: f64,
    pub throughput: f64,
    pub latency: Latency,
    pub mean_body_bytes: u64,
}

impl Outcome {
    /// Requests that got no answer at all.
    pub fn transport_errors(&self) -> u64 {
        self.no_answer
    }
}

struct Tally {
    histogram: Histogram<u64>,
    errors: u64,
    no_answer: u64,
    statuses: BTreeMap<u16, u64>,
    body_bytes: u64,
}

impl Tally {
    fn new() -> Self {
        Self {
            // Microseconds, up to a minute, 3 significant digits.
            histogram: Histogram::new_with_bounds(1, 60_000_000, 3)
                .expect("constant histogram bounds are valid"),
            errors: 0,
            no_answer: 0,
            statuses: BTreeMap::new(),
            body_bytes: 0,
        }
    }

    fn record(&mut self, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, 60_000_000);
        self.histogram
            .record(micros)
            .expect("value is clamped into the histogram's range");
    }
}

async fn connect(
    target: &Target,
) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(target.addr)
        .await
        .with_context(|| format!("cannot connect to {}", target.addr))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// One request; returns the status and body length. The body is read frame by frame and only
/// counted, not gathered into one buffer: the generator shares the machine with the servers, so
/// every copy it makes of a 30 KB page is taken from them.
async fn fetch(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    target: &Target,
    connection: usize,
) -> anyhow::Result<(u16, usize)> {
    sender.ready().await?;
    let response = sender.send_request(target.request(connection)?).await?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut length = 0;
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            length += data.len();
        }
    }
    Ok((status, length))
}

/// One connection's share of the run.
async fn drive(
    target: Target,
    plan: Plan,
    index: usize,
    measure_from: Instant,
    end: Instant,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::new();
    let mut sender = connect(&target).await?;
    let mut sent: u64 = 0;
    loop {
        let due = match plan.mode {
            Mode::Closed => Instant::now(),
            Mode::Open { rate } => {
                // Connection `index` owns slots index, index + n, index + 2n, … of the schedule.
                let slot = sent * plan.connections as u64 + index as u64;
                let started = measure_from - plan.warmup;
                started + Duration::from_secs_f64(slot as f64 / rate)
            }
        };
        if due >= end {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        sent += 1;
        let result = fetch(&mut sender, &target, index).await;
        let finished = Instant::now();
        let counted = due >= measure_from && finished <= end;
        match result {
            Ok((status, bytes)) => {
                if counted {
                    tally.record(finished - due);
                    tally.body_bytes += bytes as u64;
                    *tally.statuses.entry(status).or_default() += 1;
                    if !target.succeeded(status) {
                        tally.errors += 1;
                    }
                }
            }
            Err(_) => {
                if counted {
                    tally.errors += 1;
                    tally.no_answer += 1;
                }
                // The connection is gone: open a new one and go on.
                sender = connect(&target).await?;
            }
        }
        if finished >= end {
            break;
        }
    }
    Ok(tally)
}

/// Runs `plan` against `target` on the calling runtime.
pub async fn run(target: &Target, plan: Plan) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let measure_from = started + plan.warmup;
    let end = measure_from + plan.duration;
    let tasks: Vec<_> = (0..plan.connections)
        .map(|index| tokio::spawn(drive(target.clone(), plan, index, measure_from, end)))
        .collect();
    let mut total = Tally::new();
    for task in tasks {
        let tally = task.await.context("a load connection panicked")??;
        total
            .histogram
            .add(&tally.histogram)
            .expect("histograms with equal bounds add");
        total.errors += tally.errors;
        total.no_answer += tally.no_answer;
        for (status, count) in tally.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
        total.body_bytes += tally.body_bytes;
    }
    let requests = total.histogram.len();
    let seconds = plan.duration.as_secs_f64();
    let ms = |q: f64| total.histogram.value_at_quantile(q) as f64 / 1000.0;
    Ok(Outcome {
        connections: plan.connections,
        rate: match plan.mode {
            Mode::Open { rate } => Some(rate),
            Mode::Closed => None,
        },
        requests,
        errors: total.errors,
        statuses: total.statuses,
        no_answer: total.no_answer,
        seconds,
        throughput: requests as f64 / seconds,
        latency: Latency {
            p50: ms(0.50),
            p90: ms(0.90),
            p99: ms(0.99),
            p999: ms(0.999),
            max: total.histogram.max() as f64 / 1000.0,
        },
        mean_body_bytes: total.body_bytes.checked_div(requests).unwrap_or(0),
    })
}

/// Runs `plan` on a fresh single-threaded runtime in a thread of its own (see the module
/// comment); awaiting it leaves the caller's runtime free (to notice Ctrl-C, for one).
pub async fn run_on_own_thread(target: Target, plan: Plan) -> anyhow::Result<Outcome> {
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(run(&target, plan))
    })
    .await
    .map_err(|_| anyhow::anyhow!("the load thread panicked"))?
}

/// One answer in full, for checking a scenario before loading it.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// One request (as the first connection sends it) with the full answer.
pub async fn get_once(target: &Target) -> anyhow::Result<Answer> {
    let mut sender = connect(target).await?;
    sender.ready().await?;
    let response = sender.send_request(target.request(0)?).await?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.into_body().collect().await?.to_bytes();
    Ok(Answer {
        status,
        location,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
