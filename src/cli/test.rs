//! `duroxide test [PATHS...]`: finds `*.test.{js,mjs,ts}` files and runs each in
//! a `duroxide run` process of its own (as Node's runner does), where
//! `duroxide/test` (js/test.js) appends one JSON line per test to a file named
//! by DUROXIDE_TEST_RESULTS; this prints them, counts them, and exits 1 if any failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use clap::Args;
use serde::Deserialize;

use crate::failure::Failure;
use crate::host::modules::shown;

#[derive(Args)]
#[command(after_help = "\
Examples:
  duroxide test                          every *.test.js, *.test.mjs, *.test.ts under the current folder
  duroxide test tests/ approval.test.ts
  duroxide test --filter approval        tests whose name (suite > test) contains 'approval'
  duroxide test --reporter junit > junit.xml

A test file:
  import { test, describe } from 'duroxide/test';      // or 'node:test'
  import assert from 'node:assert/strict';
  test('adds', () => assert.equal(1 + 1, 2));")]
pub struct TestArgs {
    /// Test files, or folders to search (node_modules and hidden folders are skipped); default: .
    pub paths: Vec<PathBuf>,
    /// Run only tests whose full name (suite > test) contains this text
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// spec: a line per test and a summary; junit: JUnit XML on stdout (the tests' own output goes to stderr)
    #[arg(long, value_enum, default_value_t = Reporter::Spec)]
    pub reporter: Reporter,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq)]
pub enum Reporter {
    Spec,
    Junit,
}

const SUFFIXES: [&str; 3] = [".test.js", ".test.mjs", ".test.ts"];

/// One test's result, as js/test.js writes it.
#[derive(Deserialize, Clone)]
pub struct Outcome {
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub ms: f64,
    pub error: Option<Problem>,
}

#[derive(Deserialize, Clone, Default)]
pub struct Problem {
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub location: Option<String>,
}

/// A file's results; a file that did not run to the end says why.
pub struct FileRun {
    pub file: String,
    pub outcomes: Vec<Outcome>,
    pub ms: f64,
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| SUFFIXES.iter().any(|s| n.ends_with(s)))
}

/// Test files under `path` (or `path` itself), sorted.
fn find(path: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.is_file() {
        found.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if entry.is_dir() {
            if name != "node_modules" && !name.starts_with('.') {
                find(&entry, found)?;
            }
        } else if is_test_file(&entry) {
            found.push(entry);
        }
    }
    Ok(())
}

/// Runs one file in a process of its own; its stderr (and stdout, for JUnit) passes through.
fn run_file(file: &Path, filter: Option<&str>, reporter: Reporter) -> Result<FileRun, String> {
    let started = Instant::now();
    let results =
        std::env::temp_dir().join(format!("duroxide-test-{}-{}.jsonl", std::process::id(), crate::engine::client::generated_id("r")));
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the duroxide binary: {e}"))?;
    let absolute = std::fs::canonicalize(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut command = Command::new(exe);
    command
        .arg("run")
        .arg(&absolute)
        .env("DUROXIDE_TEST_RESULTS", &results)
        .env("DUROXIDE_TEST_FILTER", filter.unwrap_or(""))
        .stdin(Stdio::null());
    if reporter == Reporter::Junit {
        // XML alone on stdout: the tests' console output goes to stderr.
        command.stdout(std::io::stderr());
    }
    let status = command.status().map_err(|e| format!("cannot run {}: {e}", file.display()))?;
    let text = std::fs::read_to_string(&results).unwrap_or_default();
    let _ = std::fs::remove_file(&results);
    let mut outcomes: Vec<Outcome> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    if !status.success() {
        let why = match status.code() {
            Some(code) => format!("the file stopped with exit code {code} (its error is above)"),
            None => "the file's process was killed".to_string(),
        };
        outcomes.push(Outcome {
            name: "(the file itself)".into(),
            status: "fail".into(),
            ms: 0.0,
            error: Some(Problem { message: why, ..Problem::default() }),
        });
    }
    Ok(FileRun { file: shown(file), outcomes, ms: started.elapsed().as_secs_f64() * 1000.0 })
}

fn count(runs: &[FileRun], status: &str) -> usize {
    runs.iter().flat_map(|r| &r.outcomes).filter(|o| o.status == status).count()
}

/// `N passed, M failed` and `, K skipped` when any were.
pub fn summary(runs: &[FileRun]) -> String {
    let skipped = count(runs, "skip");
    let tail = if skipped > 0 { format!(", {skipped} skipped") } else { String::new() };
    format!("{} passed, {} failed{tail}", count(runs, "pass"), count(runs, "fail"))
}

/// The lines of one result: `ok N - file > name (ms)`, then a failure's details, indented.
pub fn spec_lines(n: usize, file: &str, o: &Outcome) -> Vec<String> {
    let title = format!("{file} > {}", o.name);
    let mut lines = vec![match o.status.as_str() {
        "pass" => format!("ok {n} - {title} ({:.0} ms)", o.ms),
        "skip" => format!("ok {n} - {title} # SKIP"),
        _ => format!("not ok {n} - {title}"),
    }];
    if let Some(p) = o.error.as_ref().filter(|_| o.status == "fail") {
        lines.push(format!("    {}", p.message));
        if let (Some(expected), Some(actual)) = (&p.expected, &p.actual) {
            lines.push(format!("    expected: {expected}"));
            lines.push(format!("    actual:   {actual}"));
        }
        if let Some(at) = &p.location {
            lines.push(format!("    at {}", shown(Path::new(at))));
        }
    }
    lines
}

/// Text for XML: markup escaped, and the control characters XML 1.0 cannot hold left out.
fn xml(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect();
    crate::web::escape(&kept)
}

/// JUnit XML: a testsuite per file, a testcase per test.
pub fn junit(runs: &[FileRun]) -> String {
    let total: usize = runs.iter().map(|r| r.outcomes.len()).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"duroxide test\" tests=\"{total}\" failures=\"{}\" skipped=\"{}\">\n",
        count(runs, "fail"),
        count(runs, "skip")
    );
    for run in runs {
        let failures = run.outcomes.iter().filter(|o| o.status == "fail").count();
        let skipped = run.outcomes.iter().filter(|o| o.status == "skip").count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">\n",
            xml(&run.file),
            run.outcomes.len(),
            run.ms / 1000.0
        ));
        for o in &run.outcomes {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml(&run.file),
                xml(&o.name),
                o.ms / 1000.0
            ));
            match (o.status.as_str(), &o.error) {
                ("skip", _) => out.push_str("><skipped/></testcase>\n"),
                ("fail", problem) => {
                    let p = problem.clone().unwrap_or_default();
                    let details = spec_lines(0, &run.file, o)[1..].join("\n");
                    out.push_str(&format!("><failure message=\"{}\">{}</failure></testcase>\n", xml(&p.message), xml(&details)));
                }
                _ => out.push_str("/>\n"),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

pub fn run(args: TestArgs) -> Result<i32, Failure> {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let mut files = Vec::new();
    for path in &paths {
        find(path, &mut files).map_err(Failure::Usage)?;
    }
    if files.is_empty() {
        let searched: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Failure::Usage(format!("no test files (*.test.js, *.test.mjs, *.test.ts) in {}", searched.join(", "))));
    }
    let mut runs = Vec::new();
    let mut n = 0;
    for file in &files {
        let run = run_file(file, args.filter.as_deref(), args.reporter).map_err(Failure::Failed)?;
        if args.reporter == Reporter::Spec {
            for o in &run.outcomes {
                n += 1;
                for line in spec_lines(n, &run.file, o) {
                    super::output::print_line(&line);
                }
            }
        }
        runs.push(run);
    }
    match args.reporter {
        Reporter::Spec => super::output::print_line(&summary(&runs)),
        Reporter::Junit => {
            print!("{}", junit(&runs));
            eprintln!("{}", summary(&runs));
        }
    }
    Ok(if count(&runs, "fail") > 0 { 1 } else { 0 })
}
