//! Where the local stack's output goes: the runner's own lines (one per request), and the
//! functions' log lines, shown compactly on the terminal and kept raw in a file when asked
//! (the tests read that file to prove that no secret reaches a log).

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncBufReadExt as _;

use anyhow::{Context as _, Result};

#[derive(Clone)]
pub struct Logs {
    inner: Arc<Inner>,
}

struct Inner {
    file: Option<Mutex<File>>,
    /// Whether to print function lines on the terminal (tests keep them in the file only).
    echo_functions: bool,
}

impl Logs {
    pub fn new(file: Option<&Path>, echo_functions: bool) -> Result<Self> {
        let file = match file {
            Some(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                Some(Mutex::new(File::create(path).with_context(|| {
                    format!("cannot create the log file {}", path.display())
                })?))
            }
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                file,
                echo_functions,
            }),
        })
    }

    /// A line of the runner itself.
    pub fn runner(&self, line: &str) {
        emit(&format!("· {line}"));
        // In the log file too, labelled `runner`: a test reads there what the runner did.
        if let Some(file) = &self.inner.file
            && let Ok(mut file) = file.lock()
        {
            let _ = writeln!(file, "runner\t{line}");
        }
    }

    /// A line a function process wrote.
    pub fn function(&self, label: &str, line: &str) {
        if let Some(file) = &self.inner.file
            && let Ok(mut file) = file.lock()
        {
            let _ = writeln!(file, "{label}\t{line}");
        }
        if self.inner.echo_functions {
            emit(&format!("  [{label}] {}", render(line)));
        }
    }
}

/// Prints a line on the runner's output. The runner is a terminal program: this is its output,
/// not a log.
#[allow(clippy::print_stdout)]
pub fn emit(line: &str) {
    println!("{line}");
}

/// A JSON log line as `LEVEL message key=value ...`; any other line as it is.
fn render(line: &str) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(line)
    else {
        return line.to_owned();
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::new();
    if let Some(level) = fields.get("level") {
        out.push_str(&text(level));
        out.push(' ');
    }
    if let Some(message) = fields.get("message") {
        out.push_str(&text(message));
    }
    for (key, value) in &fields {
        match key.as_str() {
            "level" | "message" | "timestamp" | "target" => {}
            "span" => {
                if let Some(id) = value.get("request_id") {
                    out.push_str(&format!(" request_id={}", text(id)));
                }
            }
            _ => out.push_str(&format!(" {key}={}", text(value))),
        }
    }
    out
}

/// Runs `command` to its end, passing each line of its output through and to `each`.
pub async fn run_streaming(
    mut command: tokio::process::Command,
    what: &str,
    mut each: impl FnMut(&str),
) -> Result<std::process::ExitStatus> {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {what}"))?;
    if let Some(stdout) = child.stdout.take() {
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await? {
            each(&line);
            emit(&line);
        }
    }
    Ok(child.wait().await?)
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn json_lines_are_shown_compactly() {
        let line = r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","message":"request finished","http.status":200,"span":{"request_id":"r1","name":"request"},"target":"shared::http"}"#;
        assert_eq!(
            render(line),
            "INFO request finished http.status=200 request_id=r1"
        );
        assert_eq!(render("plain text"), "plain text");
    }
}
