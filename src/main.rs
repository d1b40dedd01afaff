//! `exercise`: the backlings runner. Parsing happens here; everything else lives in modules by
//! concern (manifest, state, runner, services, watch, list, commands).

mod app;
mod cli;
mod commands;
mod course;
mod embedded;
mod grade;
mod list;
mod manifest;
mod pristine;
mod report;
mod runner;
mod services;
mod state;
mod ui;
mod verify;
mod watch;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    ui::init_color(cli.color);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            // First line says what went wrong; the causes follow, one per line.
            let mut text = format!("{} {err}", ui::paint(ui::RED, "error:"));
            for cause in err.chain().skip(1) {
                text.push_str(&format!("\n  caused by: {cause}"));
            }
            anstream::eprintln!("{text}");
            ExitCode::from(2)
        }
    }
}
