//! Questions on the terminal.

use std::io::Write;

use super::stdin_is_tty;

/// Asks a yes/no question on the terminal; without a terminal it refuses rather than guessing.
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    if !stdin_is_tty() {
        let _ = question;
        anyhow::bail!("this needs confirmation and stdin is not a terminal: pass --yes to confirm");
    }
    anstream::print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
