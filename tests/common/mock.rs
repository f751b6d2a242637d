//! A scripted loopback HTTP server for fault tests: each connection gets the next reply of
//! the script (the last one repeats), and every raw request is recorded.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, extra header lines, body.
    Http(u16, Vec<(&'static str, String)>, String),
    /// Close the connection without answering.
    Drop,
    /// Never answer.
    Hang,
}

/// `Reply::Http` with a JSON body and no extra headers.
pub fn json(status: u16, body: &str) -> Reply {
    Reply::Http(status, Vec::new(), body.to_owned())
}

pub struct Mock {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Decides the reply from the raw request text.
pub type Router = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

impl Mock {
    /// A server answering every request with `router`, after `delay` (simulated latency).
    pub async fn routed(delay: Duration, router: Router) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (router, seen) = (router.clone(), seen.clone());
                tokio::spawn(async move {
                    let mut stream = stream;
                    loop {
                        let request = read_request(&mut stream).await;
                        if request.is_empty() {
                            return;
                        }
                        tokio::time::sleep(delay).await;
                        let reply = router(&request);
                        seen.lock().unwrap().push(request);
                        let Reply::Http(status, headers, body) = reply else {
                            return;
                        };
                        if !write_reply(&mut stream, status, headers, &body, true).await {
                            return;
                        }
                    }
                });
            }
        });
        Mock { url, requests }
    }

    pub async fn start(script: Vec<Reply>) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let reply = script[n.min(script.len() - 1)].clone();
                n += 1;
                tokio::spawn(serve(stream, reply, seen.clone()));
            }
        });
        Mock { url, requests }
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
    let request = read_request(&mut stream).await;
    seen.lock().unwrap().push(request);
    match reply {
        Reply::Drop => drop(stream),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Reply::Http(status, headers, body) => {
            write_reply(&mut stream, status, headers, &body, false).await;
            let _ = stream.shutdown().await;
        }
    }
}

async fn write_reply(
    stream: &mut TcpStream,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &str,
    keep_alive: bool,
) -> bool {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: {connection}\r\n",
        body.len()
    );
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.is_ok()
        && stream.write_all(body.as_bytes()).await.is_ok()
}

async fn read_request(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stream.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).to_string()
}
