//! Just enough WebDriver (W3C, over the loopback HTTP client) to drive headless
//! Chromium through chromedriver: navigate, find, type, click, run a script,
//! take a screenshot. Both processes end with the `Browser`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::web_http::{request, Response};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn chromedriver() -> PathBuf {
    std::env::var_os("DUROXIDE_CHROMEDRIVER").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("chromedriver"))
}

/// Debian's chromium is /usr/bin/chromium; elsewhere chromedriver finds Chrome itself.
fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| std::path::Path::new(p).is_file())
}

impl Browser {
    pub fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut browser = Browser { driver, port, session: String::new() };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000", "--hide-scrollbars"]
        });
        if let Some(binary) = chromium() {
            options["binary"] = json!(binary);
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let created = browser.call("POST", "/session", Some(caps));
        browser.session = created["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let text = body.map(|b| b.to_string());
        let r: Response = request(self.port, method, path, &[("Content-Type", "application/json")], text.as_deref().map(str::as_bytes));
        let answer = r.json();
        assert!(r.status < 400, "WebDriver {method} {path}: {} {}", r.status, r.body);
        answer["value"].clone()
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn open(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.session_call("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    pub fn script(&self, source: &str) -> Value {
        self.script_with(source, json!([]))
    }

    fn script_with(&self, source: &str, args: Value) -> Value {
        self.session_call("POST", "/execute/sync", Some(json!({ "script": source, "args": args })))
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        let found = self.session_call("POST", "/elements", Some(json!({ "using": "css selector", "value": css })));
        found.as_array().unwrap().iter().map(|e| e[ELEMENT].as_str().unwrap().to_string()).collect()
    }

    pub fn find(&self, css: &str) -> String {
        self.find_all(css).into_iter().next().unwrap_or_else(|| panic!("no element matches {css} on {}", self.url()))
    }

    /// The rendered text of the first match; read in one script, since a live region may replace the
    /// element between a find and a read (a stale element for WebDriver).
    pub fn text(&self, css: &str) -> String {
        self.text_if_any(css).unwrap_or_else(|| panic!("no element matches {css} on {}", self.url()))
    }

    fn text_if_any(&self, css: &str) -> Option<String> {
        let text = self.script_with("const e = document.querySelector(arguments[0]); return e ? (e.innerText ?? e.textContent) : null;", json!([css]));
        text.as_str().map(str::to_string)
    }

    pub fn fill(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.session_call("POST", &format!("/element/{element}/clear"), Some(json!({})));
        self.session_call("POST", &format!("/element/{element}/value"), Some(json!({ "text": text })));
    }

    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.session_call("POST", &format!("/element/{element}/click"), Some(json!({})));
    }

    /// Accepts the `confirm()` dialog open now.
    pub fn accept_dialog(&self) {
        self.session_call("POST", "/alert/accept", Some(json!({})));
    }

    /// Waits until `css` has text containing `expected`.
    pub fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text_if_any(css).unwrap_or_default();
            if text.contains(expected) {
                return text;
            }
            assert!(Instant::now() < deadline, "{css} never showed {expected:?} (last: {text:?}) on {}", self.url());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the window at target/ui-screenshots/NAME.png; returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        self.script("window.scrollTo(0, 0); return null;");
        let encoded = self.session_call("GET", "/screenshot", None);
        let png = decode_base64(encoded.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../ui-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = request(self.port, "DELETE", &format!("/session/{}", self.session), &[], None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| acc | (u32::from(value(*c)) << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(decode_base64("aGVsbG8="), b"hello");
    assert_eq!(decode_base64("aGk="), b"hi");
    assert_eq!(decode_base64("YWJj"), b"abc");
}
