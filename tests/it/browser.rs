//! The dashboard in a real browser: headless Chromium driven through
//! chromedriver (Debian's chromium and chromium-driver; .ci/run installs them).
//! Each test leaves screenshots under target/ui-screenshots/.

use serde_json::json;

use crate::dashboard::Served;
use crate::support::Store;
use crate::webdriver::Browser;

#[test]
#[cfg_attr(not(browser_tests), ignore = "needs chromedriver: apt install chromium chromium-driver")]
fn the_list_the_timeline_and_an_event_raised_from_the_page() {
    let served = Served::worker(&Store::Sqlite, &[]);
    for i in 1..=3 {
        served.start("Steps", &format!("steps-{i}"), json!(i));
    }
    served.start("WaitFor", "approval-1", json!("waiting for go"));
    served.wait_for("steps-3", "Completed");
    served.wait_for("approval-1", "Running");
    let base = format!("http://127.0.0.1:{}", served.port);
    let browser = Browser::start();

    browser.open(&format!("{base}/"));
    let table = browser.text("#instances");
    for id in ["steps-1", "steps-2", "steps-3", "approval-1"] {
        assert!(table.contains(id), "{id} listed:\n{table}");
    }
    assert!(browser.text(".counts").contains("Completed 3"), "{}", browser.text(".counts"));
    browser.screenshot("instances");

    browser.click("a[href='/instances/steps-2']");
    browser.wait_for_text("h1", "steps-2");
    assert_eq!(browser.find_all("svg.timeline g.bar[data-kind='activity']").len(), 3, "one bar per activity");
    assert_eq!(browser.find_all("svg.timeline g.bar[data-outcome='ok']").len(), 3);
    assert_eq!(browser.find_all("#history tbody tr").len(), 8, "the history as a table");
    browser.screenshot("instance");

    browser.open(&format!("{base}/instances/approval-1"));
    browser.wait_for_text("#status", "Running");
    browser.script("window.sameDocument = 'yes'; return null;");
    browser.fill("#raise-form input[name=event]", "go");
    browser.fill("#raise-form textarea[name=data]", r#"{"by": "ann"}"#);
    browser.click("#raise-form button");
    browser.wait_for_text("#status", "Completed");
    assert_eq!(browser.script("return window.sameDocument;"), json!("yes"), "the page updated without a reload");
    assert!(browser.text("#output").contains(r#""by": "ann""#), "{}", browser.text("#output"));
    assert_eq!(browser.find_all("svg.timeline g.bar[data-kind='event']").len(), 1);
    browser.screenshot("instance-live");

    // Retries, timers, events and sub-orchestrations get bars of their own.
    served.start("Checkout", "checkout-1", json!("order-1"));
    served.wait_for("checkout-1", "Completed");
    browser.open(&format!("{base}/instances/checkout-1"));
    let failed = browser.find_all("svg.timeline g.bar[data-kind='activity'][data-outcome='failed']");
    assert_eq!(failed.len(), 1, "the declined charge");
    assert!(browser.text("svg.timeline").contains("Charge (retry 1)"), "{}", browser.text("svg.timeline"));
    for kind in ["timer", "event", "sub-orchestration"] {
        assert!(!browser.find_all(&format!("svg.timeline g.bar[data-kind='{kind}']")).is_empty(), "a {kind} bar");
    }
    assert!(browser.text(".children").contains("checkout-1::"), "{}", browser.text(".children"));
    assert!(browser.text("#values").contains("stage"), "{}", browser.text("#values"));
    browser.screenshot("instance-timeline");

    browser.open(&format!("{base}/metrics"));
    browser.wait_for_text("#metric-counts", "Completed 6");
    assert_eq!(browser.find_all("#completions").len(), 1);
    browser.screenshot("metrics");
}

#[test]
#[cfg_attr(not(browser_tests), ignore = "needs chromedriver: apt install chromium chromium-driver")]
fn the_forms_start_cancel_and_delete() {
    let served = Served::worker(&Store::Sqlite, &[]);
    let base = format!("http://127.0.0.1:{}", served.port);
    let browser = Browser::start();

    browser.open(&format!("{base}/"));
    assert!(browser.text("#no-instances").contains("No instances"));
    browser.fill("#start-form input[name=name]", "WaitFor");
    browser.fill("#start-form textarea[name=input]", r#""from the form""#);
    browser.fill("#start-form input[name=id]", "form-1");
    browser.click("#start-form button");
    browser.wait_for_text("h1", "form-1");
    browser.wait_for_text("#status", "Running");
    assert!(browser.text("#custom-status").contains("from the form"));

    browser.fill("#cancel-form input[name=reason]", "not needed");
    browser.click("#cancel-form button");
    browser.wait_for_text("#status", "Failed");
    assert!(browser.text("#error").contains("not needed"), "{}", browser.text("#error"));

    // A bad start says why beside the form.
    browser.open(&format!("{base}/"));
    browser.fill("#start-form input[name=name]", "Hello");
    browser.fill("#start-form textarea[name=input]", "{not json");
    browser.click("#start-form button");
    browser.wait_for_text("#start-form .result", "not valid JSON");

    browser.open(&format!("{base}/instances/form-1"));
    browser.click("#delete-form button");
    browser.accept_dialog();
    browser.wait_for_text("h1", "Instances");
    assert!(browser.text("main").contains("No instances"), "{}", browser.text("main"));
}

#[test]
#[cfg_attr(not(browser_tests), ignore = "needs chromedriver: apt install chromium chromium-driver")]
fn markup_in_inputs_and_custom_status_shows_as_text_and_never_runs() {
    let served = Served::worker(&Store::Sqlite, &[]);
    let payload = r#"<script>window.hacked=1</script><img src=x onerror="window.hacked=2">"#;
    served.start("WaitFor", "xss-1", json!(payload));
    served.wait_for("xss-1", "Running");
    let base = format!("http://127.0.0.1:{}", served.port);
    let browser = Browser::start();
    let not_hacked = || assert_eq!(browser.script("return window.hacked === undefined;"), json!(true), "a payload ran");

    browser.open(&format!("{base}/"));
    assert!(browser.text("#instances").contains("<script>window.hacked=1</script>"), "{}", browser.text("#instances"));
    not_hacked();
    browser.open(&format!("{base}/instances/xss-1"));
    assert!(browser.text("#custom-status").contains(payload), "{}", browser.text("#custom-status"));
    assert!(browser.text("#input").contains("<script>window.hacked=1</script>"), "{}", browser.text("#input"));
    not_hacked();
    // The output arrives through the live update (innerHTML of the server's fragment).
    browser.fill("#raise-form input[name=event]", "go");
    browser.fill("#raise-form textarea[name=data]", &json!(payload).to_string());
    browser.click("#raise-form button");
    browser.wait_for_text("#status", "Completed");
    assert!(browser.text("#output").contains("<img src=x"), "{}", browser.text("#output"));
    not_hacked();
    assert_eq!(browser.find_all("#live img, #live script, #instances script").len(), 0);
    browser.screenshot("xss-as-text");
}

#[test]
#[cfg_attr(not(browser_tests), ignore = "needs chromedriver: apt install chromium chromium-driver")]
fn a_token_protected_dashboard_turns_the_browser_away_until_it_logs_in() {
    let served = Served::worker(&Store::Sqlite, &["--token", "s3cret"]);
    served.start_with_token("Steps", "steps-1", "s3cret");
    let base = format!("http://127.0.0.1:{}", served.port);
    let browser = Browser::start();
    let api_status = "const r = new XMLHttpRequest(); r.open('GET', '/api/instances', false); r.send(); return r.status;";

    browser.open(&format!("{base}/"));
    assert!(browser.url().contains("/login?next="), "{}", browser.url());
    assert_eq!(browser.script(api_status), json!(401));
    browser.fill("input[name=token]", "wrong");
    browser.click("form button");
    browser.wait_for_text("#login-error", "not this dashboard's token");
    browser.screenshot("login");
    browser.fill("input[name=token]", "s3cret");
    browser.click("form button");
    browser.wait_for_text("h1", "Instances");
    assert!(browser.text("#instances").contains("steps-1"));
    assert_eq!(browser.script(api_status), json!(200));
}
