//! A small HTTP/1.1 server on 127.0.0.1 for the fetch tests: the only
//! network the tests touch. Routes:
//! - `GET /json` -> `{"hello":"world"}`
//! - `POST /echo` -> the request body, with its content type, and `x-method`
//! - `GET /redirect` -> 302 to `/json`
//! - `GET /missing` -> 404 `no such page`
//! - `GET /bytes/N` -> N bytes (`i % 251`), sent in 64 KiB chunks
//! - `GET /slow` -> never answers (for aborts and timeouts)
//! - `GET /data.csv` -> a small CSV of items

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

pub struct Server {
    pub port: u16,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let _ = serve(stream);
                });
            }
        });
        Server { port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
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
        match (method.as_str(), path.as_str()) {
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
