//! A real HTTP receiver for webhook tests, on a loopback port in its own runtime: it records
//! every request and answers from a script (a status, a `Retry-After`, a delay, a body), then
//! 200 with a robot's `{"errcode":0}` once the script runs out.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: chrono::DateTime<chrono::Utc>,
    pub path_and_query: String,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// How to answer the next request.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    RetryAfter(u16, u64),
    Slow(Duration),
}

pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Dropped inside the test's own runtime: let the receiver's go without blocking.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Receiver {
    pub fn start(path: &str, script: Vec<Answer>) -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (log, answers) = (received.clone(), script.clone());
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let (log, answers) = (log.clone(), answers.clone());
                let service = service_fn(move |request: Request<Incoming>| {
                    let (log, answers) = (log.clone(), answers.clone());
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        log.lock().unwrap().push(Received {
                            at: chrono::Utc::now(),
                            path_and_query: parts
                                .uri
                                .path_and_query()
                                .map(|p| p.to_string())
                                .unwrap_or_default(),
                            headers: parts.headers,
                            body: body.to_vec(),
                        });
                        let next = answers.lock().unwrap().pop_front();
                        let mut response = Response::builder();
                        let status = match next {
                            Some(Answer::Status(status)) => status,
                            Some(Answer::RetryAfter(status, seconds)) => {
                                response = response.header("retry-after", seconds.to_string());
                                status
                            }
                            Some(Answer::Slow(delay)) => {
                                tokio::time::sleep(delay).await;
                                200
                            }
                            None => 200,
                        };
                        Ok::<_, Infallible>(
                            response
                                .status(status)
                                .body(Full::new(Bytes::from_static(
                                    br#"{"errcode":0,"errmsg":"ok"}"#,
                                )))
                                .unwrap(),
                        )
                    }
                });
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Receiver {
            url: format!("http://{addr}{path}"),
            received,
            runtime: Some(runtime),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
