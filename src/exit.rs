//! The exit codes of `exercise`, by name. `--help` and the README list them.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did what was asked: the exercise passes, every check passed.
    Success,
    /// It ran, and the answer is no: tests fail, a check did not pass, points below the minimum.
    Failed,
    /// Bad input: a usage error, a broken course or manifest, an unreadable file.
    Usage,
    /// An exercise needs Postgres or Redis and none could be had: not a verdict on the code.
    ServicesUnavailable,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

impl Exit {
    pub const fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::ServicesUnavailable => 3,
            Exit::Interrupted => 130,
        }
    }

    /// Success when `ok`, Failed otherwise.
    pub fn from_ok(ok: bool) -> Exit {
        if ok { Exit::Success } else { Exit::Failed }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// For `--help`: one line per code.
pub const HELP: &str = "\
Exit codes:
  0    success: the exercise passes, every check passed
  1    failed: tests fail, a check did not pass, a score below --min-points
  2    usage or course error (bad arguments, a broken info.toml, an unreadable file)
  3    services unavailable: an exercise needs Postgres or Redis and none could be started
  130  interrupted (Ctrl-C, SIGTERM)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_documented() {
        let all = [
            Exit::Success,
            Exit::Failed,
            Exit::Usage,
            Exit::ServicesUnavailable,
            Exit::Interrupted,
        ];
        let mut codes: Vec<u8> = all.iter().map(|e| e.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for e in all {
            assert!(
                HELP.contains(&format!("\n  {:<4} ", e.code())),
                "{e:?} is documented"
            );
        }
    }
}
