//! `tela-emulator [--port N] [--api-key KEY]... [--canvas FILE.json]... [--allow-missing-variables] [--strict] [--exit-on-stdin-close]`
//!
//! Runs the emulator standalone (e.g. for the examples or another language's tests). It
//! prints exactly one line to stdout, `listening on http://127.0.0.1:PORT`, once it accepts
//! connections, then serves until killed. Canvases can also be added later through the
//! admin API (`POST /_emulator/canvases`).

use std::io::Write;
use std::process::ExitCode;

use tela_emulator::{CanvasSpec, Emulator, EmulatorConfig};

const USAGE: &str = "usage: tela-emulator [--port N] [--api-key KEY]... [--canvas FILE.json]... [--allow-missing-variables] [--strict] [--exit-on-stdin-close]

  --port N                   port on 127.0.0.1 (default 0: any free port)
  --api-key KEY              accepted bearer token, repeatable (default: test-key)
  --canvas FILE.json         register a canvas: a CanvasSpec object or an array of them, repeatable
  --allow-missing-variables  run canvases even when a template variable was not sent (default:
                             400 MISSING_VARIABLES naming it)
  --strict                   answer with only the fields the public docs show (docs/protocol.md
                             section 8); the default in the next minor version
  --exit-on-stdin-close      stop when standard input reaches end of file (for a parent process)";

struct Args {
    config: EmulatorConfig,
    canvases: Vec<String>,
    exit_on_stdin_close: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut config = EmulatorConfig::default();
    let mut keys = Vec::new();
    let mut canvases = Vec::new();
    let mut exit_on_stdin_close = false;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                let v = value()?;
                config.port = v.parse().map_err(|_| format!("invalid port {v:?}"))?;
            }
            "--api-key" => keys.push(value()?),
            "--canvas" => canvases.push(value()?),
            "--exit-on-stdin-close" => exit_on_stdin_close = true,
            "--allow-missing-variables" => config.allow_missing_variables = true,
            "--strict" => config.strict = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !keys.is_empty() {
        config.api_keys = keys;
    }
    Ok(Args {
        config,
        canvases,
        exit_on_stdin_close,
    })
}

fn load_canvases(path: &str) -> Result<Vec<CanvasSpec>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{path}: invalid JSON: {e}"))?;
    let specs = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    specs
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(|e| format!("{path}: invalid canvas: {e}")))
        .collect()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("tela-emulator: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut specs = Vec::new();
    for path in &args.canvases {
        match load_canvases(path) {
            Ok(more) => specs.extend(more),
            Err(message) => {
                eprintln!("tela-emulator: {message}");
                return ExitCode::from(2);
            }
        }
    }
    let emulator = match Emulator::start(args.config).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("tela-emulator: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    for spec in specs {
        match emulator.add_canvas(spec) {
            Ok(info) => eprintln!(
                "canvas {} (production version {})",
                info.id, info.production_version_id
            ),
            Err(e) => {
                eprintln!("tela-emulator: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {}", emulator.base_url());
    let _ = stdout.flush();

    if args.exit_on_stdin_close {
        // Blocking read on a plain thread: tokio's stdin would also block a worker.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = tx.send(());
        });
        let _ = rx.await;
        emulator.shutdown();
    } else {
        std::future::pending::<()>().await;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() {
        let a = parse(&[
            "--port",
            "8080",
            "--api-key=a",
            "--api-key",
            "b",
            "--canvas",
            "c.json",
        ])
        .unwrap();
        assert_eq!(a.config.port, 8080);
        assert_eq!(a.config.api_keys, ["a", "b"]);
        assert_eq!(a.canvases, ["c.json"]);
        assert!(!a.config.allow_missing_variables);
        assert!(
            parse(&["--allow-missing-variables"])
                .unwrap()
                .config
                .allow_missing_variables
        );
        assert!(!a.config.strict);
        assert!(parse(&["--strict"]).unwrap().config.strict);
        assert_eq!(parse(&[]).unwrap().config.api_keys, ["test-key"]);
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--nope"]).is_err());
    }
}
