//! Watching the current exercise's folder: one `Changed` per burst of edits.
//!
//! notify is used directly rather than through notify-debouncer-mini because the debouncer drops
//! the event kind, and the kind matters: rustc *opening* a source file (an access event) must
//! not count as an edit, or every run would trigger the next one.

use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::Watcher as _;

use super::Msg;

/// Editors save in bursts (write, rename, chmod); one run per burst.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// The live watcher; dropping it stops watching (and ends its debounce thread).
pub enum FileWatcher {
    Native {
        _watcher: notify::RecommendedWatcher,
    },
    Poll {
        _watcher: notify::PollWatcher,
    },
}

impl FileWatcher {
    /// Watches `dir` recursively; edits arrive as `Msg::Changed`, watcher failures as
    /// `Msg::WatchError` (shown to the learner, never dropped).
    pub fn start(dir: &Path, poll: bool, tx: Sender<Msg>) -> Result<FileWatcher> {
        let (raw_tx, raw_rx) = mpsc::channel::<()>();
        let error_tx = tx.clone();
        let handler = move |res: notify::Result<notify::Event>| match res {
            Ok(event) => {
                if is_edit(&event.kind) && event.paths.iter().any(|p| !is_ignored(p)) {
                    let _ = raw_tx.send(());
                }
            }
            Err(e) => {
                let _ = error_tx.send(Msg::WatchError(e.to_string()));
            }
        };
        // Debounce: after the first edit, wait until the burst has been quiet for DEBOUNCE.
        thread::spawn(move || {
            while raw_rx.recv().is_ok() {
                loop {
                    match raw_rx.recv_timeout(DEBOUNCE) {
                        Ok(()) => continue,
                        Err(mpsc::RecvTimeoutError::Timeout) => break,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
                if tx.send(Msg::Changed).is_err() {
                    return;
                }
            }
        });
        let cannot = || format!("cannot watch {} (try --poll)", dir.display());
        Ok(if poll {
            let config = notify::Config::default().with_poll_interval(Duration::from_millis(250));
            let mut w = notify::PollWatcher::new(handler, config).with_context(cannot)?;
            w.watch(dir, notify::RecursiveMode::Recursive)
                .with_context(cannot)?;
            FileWatcher::Poll { _watcher: w }
        } else {
            let mut w = notify::RecommendedWatcher::new(handler, notify::Config::default())
                .with_context(cannot)?;
            w.watch(dir, notify::RecursiveMode::Recursive)
                .with_context(cannot)?;
            FileWatcher::Native { _watcher: w }
        })
    }
}

fn is_edit(kind: &notify::EventKind) -> bool {
    use notify::EventKind::{Any, Create, Modify, Remove};
    use notify::event::ModifyKind;
    match kind {
        Create(_) | Remove(_) | Any => true,
        Modify(ModifyKind::Metadata(_)) => false,
        Modify(_) => true,
        _ => false,
    }
}

/// Build output and editor droppings are not edits.
fn is_ignored(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.components().any(|c| c.as_os_str() == "target")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913" // vim's write test file
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::EventKind;
    use notify::event::{AccessKind, CreateKind, DataChange, MetadataKind, ModifyKind};

    #[test]
    fn edits_count_and_reads_and_metadata_do_not() {
        assert!(is_edit(&EventKind::Create(CreateKind::File)));
        assert!(is_edit(&EventKind::Modify(ModifyKind::Data(
            DataChange::Content
        ))));
        assert!(!is_edit(&EventKind::Access(AccessKind::Read)));
        assert!(!is_edit(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::Any
        ))));
    }

    #[test]
    fn build_output_and_editor_droppings_are_ignored() {
        for p in [
            "ex/target/debug/x",
            "ex/src/lib.rs~",
            "ex/src/.lib.rs.swp",
            "ex/.#lib.rs",
            "ex/src/4913",
        ] {
            assert!(is_ignored(Path::new(p)), "{p}");
        }
        assert!(!is_ignored(Path::new("ex/src/lib.rs")));
    }
}
