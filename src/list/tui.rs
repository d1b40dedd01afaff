//! The interactive list (ratatui); also opened from watch mode with `l`.

use anyhow::Result;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

use crate::session::Session;
use crate::ui::terminal::RawMode;

pub enum ListExit {
    Quit,
    /// The learner picked this exercise as the current one.
    Jumped(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Pending,
    Done,
}

enum Mode {
    Browse,
    Search,
    ConfirmReset(usize),
}

struct ListUi {
    filter: Filter,
    search: String,
    mode: Mode,
    table: TableState,
    message: Option<String>,
}

/// The interactive list; also opened from watch mode with `l`.
pub fn interactive(app: &mut Session) -> Result<ListExit> {
    // Restores the terminal even when drawing fails halfway, or panics.
    let _terminal = RawMode::enter_full_screen()?;
    let mut term =
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    let mut ui = ListUi {
        filter: Filter::All,
        search: String::new(),
        mode: Mode::Browse,
        table: TableState::default(),
        message: None,
    };
    let rows = visible(app, &ui);
    ui.table.select(
        rows.iter()
            .position(|&i| i == app.current_index())
            .or(Some(0)),
    );
    loop {
        let rows = visible(app, &ui);
        if let Some(sel) = ui.table.selected() {
            if sel >= rows.len() {
                ui.table.select(rows.len().checked_sub(1));
            }
        } else if !rows.is_empty() {
            ui.table.select(Some(0));
        }
        term.draw(|f| draw(f, app, &mut ui, &rows))?;
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        let selected = ui.table.selected().and_then(|s| rows.get(s).copied());
        match ui.mode {
            Mode::Search => match key.code {
                KeyCode::Enter => ui.mode = Mode::Browse,
                KeyCode::Esc => {
                    ui.search.clear();
                    ui.mode = Mode::Browse;
                }
                KeyCode::Backspace => {
                    ui.search.pop();
                }
                KeyCode::Char(c) => {
                    ui.search.push(c);
                    ui.table.select(Some(0));
                }
                _ => {}
            },
            Mode::ConfirmReset(idx) => {
                ui.mode = Mode::Browse;
                if key.code == KeyCode::Char('y') {
                    let ex = app.course().manifest.exercises[idx].clone();
                    ui.message = Some(match app.reset(&ex) {
                        Ok(backup) => {
                            format!("{} reset; your version is in {}", ex.name, backup.display())
                        }
                        Err(e) => format!("reset failed: {e:#}"),
                    });
                } else {
                    ui.message = Some("reset cancelled".into());
                }
            }
            Mode::Browse => {
                ui.message = None;
                match key.code {
                    KeyCode::Char('q') | KeyCode::Esc => return Ok(ListExit::Quit),
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(ListExit::Quit);
                    }
                    KeyCode::Down | KeyCode::Char('j') => ui.table.select_next(),
                    KeyCode::Up | KeyCode::Char('k') => ui.table.select_previous(),
                    KeyCode::PageDown => ui.table.scroll_down_by(10),
                    KeyCode::PageUp => ui.table.scroll_up_by(10),
                    KeyCode::Home | KeyCode::Char('g') => ui.table.select_first(),
                    KeyCode::End | KeyCode::Char('G') => ui.table.select(rows.len().checked_sub(1)),
                    KeyCode::Char('/') => ui.mode = Mode::Search,
                    KeyCode::Char('f') => {
                        ui.filter = match ui.filter {
                            Filter::All => Filter::Pending,
                            Filter::Pending => Filter::Done,
                            Filter::Done => Filter::All,
                        };
                        ui.table.select(Some(0));
                    }
                    KeyCode::Char('r') => {
                        if let Some(idx) = selected {
                            ui.mode = Mode::ConfirmReset(idx);
                        }
                    }
                    KeyCode::Enter | KeyCode::Char('c') => {
                        if let Some(idx) = selected {
                            app.select(idx)?;
                            return Ok(ListExit::Jumped(app.current().name.clone()));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn visible(app: &Session, ui: &ListUi) -> Vec<usize> {
    let needle = ui.search.to_lowercase();
    app.course()
        .manifest
        .exercises
        .iter()
        .enumerate()
        .filter(|(_, ex)| {
            let done = app.is_done(&ex.name);
            match ui.filter {
                Filter::All => true,
                Filter::Pending => !done,
                Filter::Done => done,
            }
        })
        .filter(|(_, ex)| {
            needle.is_empty()
                || ex.name.contains(&needle)
                || ex.dir.to_lowercase().contains(&needle)
                || ex.topic.contains(&needle)
        })
        .map(|(i, _)| i)
        .collect()
}

fn draw(f: &mut ratatui::Frame, app: &Session, ui: &mut ListUi, rows: &[usize]) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(2),
    ])
    .areas(f.area());
    let filter = match ui.filter {
        Filter::All => "all",
        Filter::Pending => "pending",
        Filter::Done => "done",
    };
    f.render_widget(
        Paragraph::new(format!(
            "backlings — {}/{} done · showing {filter}{}",
            app.done_count(),
            app.total(),
            if ui.search.is_empty() {
                String::new()
            } else {
                format!(" matching \"{}\"", ui.search)
            }
        ))
        .style(Style::new().add_modifier(Modifier::BOLD)),
        header,
    );
    let table_rows = rows.iter().map(|&i| {
        let ex = &app.course().manifest.exercises[i];
        let done = app.is_done(&ex.name);
        let marker = if i == app.current_index() { ">" } else { " " };
        let status = if done { "done" } else { "pending" };
        let style = if done {
            Style::new().fg(Color::Green)
        } else {
            Style::new().fg(Color::Yellow)
        };
        Row::new(vec![
            marker.to_string(),
            format!("{}", i + 1),
            status.to_string(),
            ex.name.clone(),
            app.course().topic_title(ex).to_string(),
        ])
        .style(style)
    });
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Length(7),
            Constraint::Percentage(40),
            Constraint::Percentage(60),
        ],
    )
    .header(
        Row::new(vec!["", "#", "STATUS", "NAME", "TOPIC"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
    .block(Block::bordered());
    f.render_stateful_widget(table, body, &mut ui.table);
    let help = match ui.mode {
        Mode::Search => format!("search: {}█  (Enter keep · Esc clear)", ui.search),
        Mode::ConfirmReset(i) => format!(
            "Reset {} to its original files (your version goes to a backup)? y/N",
            app.course().manifest.exercises[i].name
        ),
        Mode::Browse => ui.message.clone().unwrap_or_else(|| {
            "↑↓ move · Enter/c make current · / search · f filter · r reset · q quit".to_string()
        }),
    };
    f.render_widget(Paragraph::new(Line::from(help)), footer);
}
