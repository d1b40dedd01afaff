//! Raw mode, restored on every way out: the guard's `Drop` on returns and unwinding panics, and
//! a panic hook that restores the terminal *before* the panic message is printed (a message
//! printed in raw mode is a garbled staircase).

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::{execute, terminal};

static RAW: AtomicBool = AtomicBool::new(false);
static ALTERNATE: AtomicBool = AtomicBool::new(false);

/// Holds the terminal in raw mode; dropping it restores cooked mode.
pub struct RawMode(());

impl RawMode {
    pub fn enter() -> std::io::Result<RawMode> {
        restore_on_panic();
        terminal::enable_raw_mode()?;
        RAW.store(true, Ordering::SeqCst);
        Ok(RawMode(()))
    }

    /// Raw mode and the alternate screen (full-screen UIs: the list).
    pub fn enter_full_screen() -> std::io::Result<(RawMode, AlternateScreen)> {
        let raw = RawMode::enter()?;
        execute!(std::io::stdout(), terminal::EnterAlternateScreen)?;
        ALTERNATE.store(true, Ordering::SeqCst);
        Ok((raw, AlternateScreen(())))
    }

    /// Leaves raw mode for a moment and comes back (the list opened from watch mode).
    pub fn suspend(&self) {
        let _ = terminal::disable_raw_mode();
    }

    pub fn resume(&self) -> std::io::Result<()> {
        terminal::enable_raw_mode()?;
        RAW.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        RAW.store(false, Ordering::SeqCst);
        let _ = terminal::disable_raw_mode();
    }
}

pub struct AlternateScreen(());

impl Drop for AlternateScreen {
    fn drop(&mut self) {
        ALTERNATE.store(false, Ordering::SeqCst);
        let _ = execute!(std::io::stdout(), terminal::LeaveAlternateScreen);
    }
}

fn restore() {
    if ALTERNATE.swap(false, Ordering::SeqCst) {
        let _ = execute!(std::io::stdout(), terminal::LeaveAlternateScreen);
    }
    if RAW.swap(false, Ordering::SeqCst) {
        let _ = terminal::disable_raw_mode();
    }
}

fn restore_on_panic() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
