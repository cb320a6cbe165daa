//! HTML building blocks. Every string that came from a user, a workflow or the
//! store goes through [`esc`] before it lands in a page; nothing else writes
//! markup. Pages carry no inline script (the Content-Security-Policy forbids it).

use serde_json::Value;

/// Text safe in element content and in double- or single-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A path segment for links (`/instances/{id}`): everything but unreserved characters percent-encoded.
pub fn url_part(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A value as compact JSON text, cut to `max` characters.
pub fn short_json(value: &Value, max: usize) -> String {
    let text = match value {
        Value::Null => "null".to_string(),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        text
    } else {
        format!("{}…", text.chars().take(max.saturating_sub(1)).collect::<String>())
    }
}

/// JSON text, pretty-printed when it parses, as it is otherwise.
pub fn pretty(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| text.to_string()),
        Err(_) => text.to_string(),
    }
}

/// `2026-11-30 13:22:33` (UTC); `-` for zero.
pub fn time(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .filter(|_| ms > 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// `13:22:33.123` (UTC).
pub fn time_of_day(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64).map(|t| t.format("%H:%M:%S%.3f").to_string()).unwrap_or_default()
}

/// A span as people say it: `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..=3_599_999 => format!("{} min {} s", s / 60, s % 60),
        3_600_000..=86_399_999 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

pub fn status_badge(status: &str) -> String {
    format!("<span class=\"badge s-{}\">{}</span>", esc(&status.to_ascii_lowercase()), esc(status))
}

/// A whole page: the navigation, then `body`.
pub fn page(title: &str, active: &str, body: &str) -> String {
    let link = |href: &str, name: &str| {
        let class = if name == active { " class=\"active\"" } else { "" };
        format!("<a href=\"{href}\"{class}>{name}</a>")
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · duroxide</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script></head><body>\
         <header><a class=\"brand\" href=\"/\">duroxide</a><nav>{}{}</nav></header><main>{body}</main></body></html>",
        esc(title),
        link("/", "Instances"),
        link("/metrics", "Metrics"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc(r#"<script>alert("x")</script> & 'y'"#), "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
    }

    #[test]
    fn url_parts_survive_slashes_and_unicode() {
        assert_eq!(url_part("order/42 ü?x"), "order%2F42%20%C3%BC%3Fx");
    }

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(4_200), "4.2 s");
        assert_eq!(duration(185_000), "3 min 5 s");
        assert_eq!(duration(7_800_000), "2 h 10 min");
        assert_eq!(duration(30 * 86_400_000 + 3_600_000), "30 d 1 h");
    }

    #[test]
    fn pretty_keeps_text_that_is_not_json() {
        assert_eq!(pretty("{\"a\":1}"), "{\n  \"a\": 1\n}");
        assert_eq!(pretty("not json <b>"), "not json <b>");
    }
}
