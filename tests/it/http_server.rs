//! A small HTTP/1.1 server on 127.0.0.1 for the fetch tests: the only
//! network the tests touch. Routes:
//! - `GET /json` -> `{"hello":"world"}`
//! - `POST /echo` -> the request body, with its content type, and `x-method`
//! - `GET /redirect` -> 302 to `/json`
//! - `GET /missing` -> 404 `no such page`
//! - `GET /bytes/N` -> N bytes (`i % 251`), sent in 64 KiB chunks
//! - `GET /slow` -> never answers (for aborts and timeouts)
//! - `GET /data.csv` -> a small CSV of items
//! - `GET /files/NAME` -> `file NAME` lines (16 KiB), after 200 ms
//! - `GET /sales/REGION.csv` -> sales rows for eu or us
//!
//! It counts the requests of each path.

use std::io::{BufRead, BufReader, Read, Write};
use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Hits = Arc<Mutex<HashMap<String, usize>>>;

pub struct Server {
    pub port: u16,
    hits: Hits,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let hits = Hits::default();
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &counter);
                });
            }
        });
        Server { port, hits }
    }

    /// How many requests asked for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(stream: TcpStream, hits: &Hits) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let mut length = 0usize;
        let mut content_type = String::from("application/octet-stream");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "content-type" => content_type = value.trim().to_string(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
        match (method.as_str(), path.as_str()) {
            ("GET", p) if p.starts_with("/files/") => {
                std::thread::sleep(Duration::from_millis(200));
                let line = format!("file {}\n", &p["/files/".len()..]);
                let body = line.repeat(16384 / line.len());
                respond(&mut out, "200 OK", "text/plain", body.as_bytes(), &[])?
            }
            ("GET", "/sales/eu.csv") => {
                respond(&mut out, "200 OK", "text/csv", b"product,qty,price\nwidget,3,2.5\ngadget,1,10\nwidget,1,2.5\n", &[])?
            }
            ("GET", "/sales/us.csv") => respond(&mut out, "200 OK", "text/csv", b"product,qty,price\ngadget,4,9.5\n", &[])?,
            ("GET", "/data.csv") => respond(
                &mut out,
                "200 OK",
                "text/csv",
                b"item,qty,price\nwidget,2,3.5\n\"gadget, deluxe\",1,10\nbolt,12,0.25\n",
                &[],
            )?,
            ("GET", "/json") => respond(&mut out, "200 OK", "application/json", b"{\"hello\":\"world\"}", &[])?,
            ("POST", "/echo") => respond(&mut out, "200 OK", &content_type, &body, &[("x-method", "POST")])?,
            ("GET", "/redirect") => respond(&mut out, "302 Found", "text/plain", b"", &[("location", "/json")])?,
            ("GET", "/slow") => {
                std::thread::sleep(Duration::from_secs(60));
                return Ok(());
            }
            ("GET", p) if p.starts_with("/bytes/") => {
                let n: usize = p["/bytes/".len()..].parse().unwrap_or(0);
                write!(out, "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {n}\r\n\r\n")?;
                let mut sent = 0;
                let mut chunk = vec![0u8; 65536];
                while sent < n {
                    let size = chunk.len().min(n - sent);
                    for (i, b) in chunk[..size].iter_mut().enumerate() {
                        *b = ((sent + i) % 251) as u8;
                    }
                    out.write_all(&chunk[..size])?;
                    sent += size;
                }
            }
            _ => respond(&mut out, "404 Not Found", "text/plain", b"no such page", &[])?,
        }
    }
}

fn respond(out: &mut TcpStream, status: &str, content_type: &str, body: &[u8], headers: &[(&str, &str)]) -> std::io::Result<()> {
    write!(out, "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n", body.len())?;
    for (name, value) in headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    write!(out, "\r\n")?;
    out.write_all(body)?;
    out.flush()
}
