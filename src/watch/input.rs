//! Keys: single key presses from a raw terminal, or characters from stdin lines (events mode,
//! tests). Either way they arrive as `Msg::Key` on the watch channel.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use super::Msg;
use crate::ui::terminal::RawMode;

pub struct Input {
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    parked: Arc<AtomicBool>,
    /// Held while keys come from a raw terminal; restores it on drop (and on panic).
    raw: Option<RawMode>,
}

impl Input {
    pub fn terminal(tx: Sender<Msg>) -> Result<Input> {
        let raw = RawMode::enter().context("cannot put the terminal in raw mode")?;
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(false));
        let parked = Arc::new(AtomicBool::new(false));
        let (s, p, k) = (stop.clone(), paused.clone(), parked.clone());
        thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                if p.load(Ordering::SeqCst) {
                    k.store(true, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                k.store(false, Ordering::SeqCst);
                if !event::poll(Duration::from_millis(50)).unwrap_or(false) {
                    continue;
                }
                let Ok(Event::Key(key)) = event::read() else {
                    continue;
                };
                if key.kind != KeyEventKind::Press {
                    continue;
                }
                let c = match key.code {
                    // Raw mode turns Ctrl-C into a key press: it quits like `q`.
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => 'q',
                    KeyCode::Char(c) => c.to_ascii_lowercase(),
                    KeyCode::Esc => 'q',
                    _ => continue,
                };
                if tx.send(Msg::Key(c)).is_err() {
                    break;
                }
            }
        });
        Ok(Input {
            stop,
            paused,
            parked,
            raw: Some(raw),
        })
    }

    pub fn lines(tx: Sender<Msg>) -> Input {
        thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                for c in line.chars().filter(|c| !c.is_whitespace()) {
                    if tx.send(Msg::Key(c)).is_err() {
                        return;
                    }
                }
            }
            let _ = tx.send(Msg::InputClosed);
        });
        Input {
            stop: Arc::new(AtomicBool::new(false)),
            paused: Arc::new(AtomicBool::new(false)),
            parked: Arc::new(AtomicBool::new(true)),
            raw: None,
        }
    }

    /// Stops reading keys (the list UI reads them itself) and waits until the reader is parked.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        for _ in 0..50 {
            if self.parked.load(Ordering::SeqCst) {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn resume(&self) -> Result<()> {
        if let Some(raw) = &self.raw {
            raw.resume()?;
        }
        self.paused.store(false, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // `raw` drops after this, restoring the terminal.
    }
}
