//! Who may do what: with a token, every page and API call needs it (an
//! `Authorization: Bearer` header, or the cookie the login form sets); requests
//! that change something must come from the dashboard itself, never from
//! another site's page; every answer carries headers that keep browsers from
//! running anything the pages did not ship.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::App;

pub const COOKIE: &str = "duroxide_session";

/// What the session cookie holds: a digest of the token, so the cookie is not the token itself.
pub fn session_value(token: &str) -> String {
    Sha256::digest(format!("duroxide-ui-session:{token}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal, in time that depends neither on where they differ nor on their lengths (digests are compared).
fn same(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter().zip(b.iter()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// True when the request carries the token or the session cookie made from it.
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|given| same(given.trim().as_bytes(), token.as_bytes())) {
        return true;
    }
    cookie(headers, COOKIE).is_some_and(|value| same(value.as_bytes(), session_value(token).as_bytes()))
}

/// Why a state-changing request is refused: it came from another site (a form
/// or script on some other page the user has open), by what the browser says.
pub fn cross_site(headers: &HeaderMap) -> Option<String> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return Some(format!("cross-site request refused (Sec-Fetch-Site: {site})"));
        }
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let from_here = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).is_some_and(|o| o == host);
    (!from_here).then(|| format!("cross-site request refused (Origin {origin} is not this dashboard's)"))
}

/// True when a `Host` header names this machine's loopback (`127.0.0.1:8233`, `localhost:8233`, `[::1]:8233`).
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Without a token the dashboard listens on loopback only; a request that names another host got here
/// through a name that was pointed at 127.0.0.1 (DNS rebinding: some web page's own name, so the
/// browser's same-origin checks pass). Refused.
fn rebound(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok())?;
    (!loopback_host(host))
        .then(|| format!("Host '{host}' is not this dashboard's: without a token it answers to 127.0.0.1, localhost and [::1] only"))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths anyone may load: the login form and the stylesheet and script it uses.
fn public(path: &str) -> bool {
    path == "/login" || path.starts_with("/assets/")
}

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The middleware: cross-site and token checks before the route, security headers after.
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if app.token.is_none() {
        if let Some(why) = rebound(request.headers()) {
            return super::api::error(StatusCode::FORBIDDEN, why);
        }
    }
    if changes_state(request.method()) {
        if let Some(why) = cross_site(request.headers()) {
            return super::api::error(StatusCode::FORBIDDEN, why);
        }
    }
    if let Some(token) = &app.token {
        if !public(&path) && !authorized(request.headers(), token) {
            if is_api(&path) {
                return super::api::error(StatusCode::UNAUTHORIZED, "this dashboard needs its token: Authorization: Bearer TOKEN".into());
            }
            let target = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
            return Redirect::to(&format!("/login?next={}", super::html::url_part(&target))).into_response();
        }
    }
    let began = std::time::Instant::now();
    let mut response = next.run(request).await;
    if is_api(&path) {
        response = super::api::as_json_error(response).await;
    }
    let headers = response.headers_mut();
    // How long the server took (browsers' developer tools show it; bench/dashboard.py reads it).
    if let Ok(timing) = HeaderValue::from_str(&format!("app;dur={:.3}", began.elapsed().as_secs_f64() * 1000.0)) {
        headers.insert("server-timing", timing);
    }
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not no-referrer: under it browsers send `Origin: null` with form posts, which `cross_site` must refuse.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

/// A `next` target that stays on this server: a path, with nothing a browser would drop or turn into a
/// host (`//`, a backslash, or a tab or newline that it strips to make `//`).
pub fn local_target(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()) => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// After a good token: the cookie, then where the user was going.
pub fn logged_in(token: &str, next: Option<&str>) -> Response {
    let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", session_value(token));
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, local_target(next))
        .header(header::SET_COOKIE, cookie)
        .body(Body::empty())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn bearer_or_cookie_opens_the_door() {
        assert!(authorized(&headers(&[("authorization", "Bearer s3cret")]), "s3cret"));
        assert!(!authorized(&headers(&[("authorization", "Bearer s3cre")]), "s3cret"));
        assert!(!authorized(&headers(&[]), "s3cret"));
        let cookie = format!("a=b; {COOKIE}={}", session_value("s3cret"));
        assert!(authorized(&headers(&[("cookie", &cookie)]), "s3cret"));
        assert!(!authorized(&headers(&[("cookie", "duroxide_session=s3cret")]), "s3cret"));
    }

    #[test]
    fn other_sites_cannot_change_anything() {
        assert!(cross_site(&headers(&[])).is_none(), "curl sends neither header");
        assert!(cross_site(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:8233"),
            ("host", "127.0.0.1:8233")
        ]))
        .is_none());
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])).is_some());
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])).is_some(), "another port of localhost is another origin");
        assert!(cross_site(&headers(&[("origin", "http://evil.example"), ("host", "127.0.0.1:8233")])).is_some());
    }

    #[test]
    fn only_loopback_names_without_a_token() {
        for host in ["127.0.0.1:8233", "localhost:8233", "LOCALHOST", "[::1]:8233", "127.0.0.2:1"] {
            assert!(loopback_host(host), "{host}");
        }
        for host in ["evil.example:8233", "evil.example", "10.0.0.1:8233", "[2001:db8::1]:80", "localhost.evil.example:8233"] {
            assert!(!loopback_host(host), "{host}");
        }
        assert!(rebound(&headers(&[("host", "evil.example:8233")])).unwrap().contains("not this dashboard's"));
        assert!(rebound(&headers(&[])).is_none());
    }

    #[test]
    fn login_only_sends_people_to_this_server() {
        assert_eq!(local_target(Some("/instances/a?x=1")), "/instances/a?x=1");
        assert_eq!(local_target(Some("//evil.example/")), "/");
        assert_eq!(local_target(Some("https://evil.example/")), "/");
        assert_eq!(local_target(Some("/\t/evil.example")), "/", "browsers strip the tab and go to //evil.example");
        assert_eq!(local_target(Some("/\\evil.example")), "/");
        assert_eq!(local_target(None), "/");
    }
}
