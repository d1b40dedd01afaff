//! `exercise services up|status|down` and `exercise doctor`.

use anyhow::{Result, bail};

use crate::cli::ServicesCommand;
use crate::course::{Course, Service};
use crate::exit::Exit;
use crate::services::config::ServicesConfig;
use crate::services::registry::{self, Entries, Entry};
use crate::services::{Provider, ProviderKind, Source, container, external, kinds, local};
use crate::ui::{BOLD, GREEN, RED, YELLOW, paint};

/// The services the course's exercises use, in [`Service::ALL`]'s order: what `services up`
/// starts and `doctor` checks.
fn used_by(course: &Course) -> Vec<Service> {
    Service::ALL
        .into_iter()
        .filter(|s| {
            course
                .manifest
                .exercises
                .iter()
                .any(|e| e.services.contains(s))
        })
        .collect()
}

fn titles(services: &[Service]) -> String {
    let names: Vec<&str> = services.iter().map(|&s| kinds::of(s).title()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub fn services(course: &Course, kind: Option<ProviderKind>, cmd: ServicesCommand) -> Result<Exit> {
    match cmd {
        ServicesCommand::Up { only } => up(course, kind, only),
        ServicesCommand::Status => status(course),
        ServicesCommand::Down => down(course),
    }
}

fn print_urls(entries: &Entries) {
    for (service, entry) in entries {
        anstream::println!("{}={}", service.env_var(), entry.url);
    }
}

fn up(course: &Course, kind: Option<ProviderKind>, named: Vec<Service>) -> Result<Exit> {
    let root = &course.root;
    let services = if named.is_empty() {
        used_by(course)
    } else {
        named
    };
    if services.is_empty() {
        bail!("this course's exercises use no services: there is nothing to start");
    }
    let existing = registry::load(root)?;
    if !existing.is_empty() && existing.values().all(|e| registry::port_open(&e.url)) {
        let missing: Vec<Service> = services
            .iter()
            .copied()
            .filter(|s| !existing.contains_key(s))
            .collect();
        if missing.is_empty() {
            anstream::eprintln!("Already running (`exercise services down` stops them):");
            print_urls(&existing);
            return Ok(Exit::Success);
        }
        bail!(
            "`services up` is already running {}, without {}: `exercise services down`, then start all you need at once",
            titles(&existing.keys().copied().collect::<Vec<_>>()),
            titles(&missing)
        );
    }
    crate::cleanup::install_signal_handler();
    let config = ServicesConfig::load(root)?;
    let kind = kind.or(config.provider).unwrap_or_default();
    if kind == ProviderKind::External {
        let vars: Vec<&str> = services.iter().map(|s| s.env_var()).collect();
        bail!(
            "`services up` starts servers; with external ones, just export {}",
            vars.join(", ")
        );
    }
    // The run order, less the sources that start nothing; an explicit choice is tried as is.
    let startable: Vec<Source> = kind
        .sources()
        .iter()
        .copied()
        .filter(|s| s.starts_servers())
        .collect();
    let mut chosen = None;
    for &source in &startable {
        let mut offers = true;
        for &service in &services {
            offers &= source.offers(service, root)?;
        }
        if offers || startable.len() == 1 {
            chosen = Some(source);
            break;
        }
    }
    let Some(source) = chosen else {
        bail!(
            "no container engine and no local {}: `exercise doctor` says what to install",
            titles(&services)
        );
    };
    let mut entries = Entries::new();
    match source {
        Source::Container => {
            let mut provider = container::ContainerProvider::with_keep(root, &config, true)?;
            for &service in &services {
                let endpoint = provider.start(service)?;
                entries.insert(
                    service,
                    Entry {
                        url: endpoint.url,
                        provider: Source::Container,
                        container: provider.container_id(service),
                        pid: None,
                        dir: None,
                    },
                );
            }
            provider.stop(); // with keep: forgets the handles, the containers stay
        }
        _ => {
            let mut provider = local::LocalProvider::with_keep(true)?;
            for &service in &services {
                let endpoint = provider.start(service)?;
                entries.insert(
                    service,
                    Entry {
                        url: endpoint.url,
                        provider: Source::Local,
                        container: None,
                        pid: provider.pid(service),
                        dir: Some(provider.run_dir().to_path_buf()),
                    },
                );
            }
            provider.stop();
        }
    }
    registry::save(root, &entries)?;
    anstream::eprintln!(
        "{} {} {} running ({source}); exercises will use {} until `exercise services down`.\n\
         Each run still gets a namespace of its own (a database, a Redis database, a NATS prefix).",
        paint(GREEN, "✓"),
        titles(&services),
        if services.len() == 1 { "is" } else { "are" },
        if services.len() == 1 { "it" } else { "them" }
    );
    print_urls(&entries);
    Ok(Exit::Success)
}

fn status(course: &Course) -> Result<Exit> {
    let entries = registry::load(&course.root)?;
    if entries.is_empty() {
        anstream::println!(
            "No services started with `exercise services up`. Runs start what they need (see `exercise doctor`)."
        );
        return Ok(Exit::Success);
    }
    let mut all_up = true;
    for (service, entry) in &entries {
        let up = registry::port_open(&entry.url);
        all_up &= up;
        anstream::println!(
            "{} {:<8} {:<9} {}={}",
            if up {
                paint(GREEN, "✓")
            } else {
                paint(RED, "✗")
            },
            service.as_str(),
            entry.provider,
            service.env_var(),
            entry.url
        );
    }
    Ok(Exit::from_ok(all_up))
}

fn down(course: &Course) -> Result<Exit> {
    let entries = registry::load(&course.root)?;
    let containers: Vec<String> = entries
        .values()
        .filter_map(|e| e.container.clone())
        .collect();
    if !containers.is_empty() {
        container::remove_containers(&containers);
    }
    let mut dirs: Vec<_> = entries.values().filter_map(|e| e.dir.clone()).collect();
    dirs.dedup();
    for dir in dirs {
        local::stop_recorded(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
    registry::remove(&course.root);
    anstream::println!("{} services stopped", paint(GREEN, "✓"));
    Ok(Exit::Success)
}

pub fn doctor(course: &Course, kind: Option<ProviderKind>) -> Result<Exit> {
    let config = ServicesConfig::load(&course.root)?;
    let chosen = kind.or(config.provider).unwrap_or_default();
    let ok = |b: bool| {
        if b {
            paint(GREEN, "✓")
        } else {
            paint(RED, "✗")
        }
    };
    anstream::println!("{}", paint(BOLD, "Container engine (provider `container`)"));
    let engine = container::engine_version();
    match &engine {
        Ok(v) => anstream::println!(
            "  {} {v} at DOCKER_HOST={}",
            ok(true),
            container::docker_host()
        ),
        Err(e) => anstream::println!(
            "  {} none at DOCKER_HOST={} ({e})\n    fix: start Docker, or Podman's socket: `systemctl --user start podman.socket` \
             and `export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock`",
            ok(false),
            container::docker_host()
        ),
    }
    let services = used_by(course);
    if engine.is_ok() {
        for &service in &services {
            let (image, var) = (config.image(service), kinds::of(service).image_var());
            let present = container::image_present(image);
            anstream::println!(
                "  {} image {image}{}",
                if present {
                    paint(GREEN, "✓")
                } else {
                    paint(YELLOW, "!")
                },
                if present {
                    String::new()
                } else {
                    format!(" is not present; it will be pulled on first use (or set {var})")
                }
            );
        }
    }
    anstream::println!("{}", paint(BOLD, "Local binaries (provider `local`)"));
    for &service in &services {
        let kind = kinds::of(service);
        match kind.local_binary() {
            Some(bin) => anstream::println!(
                "  {} {} ({})",
                ok(true),
                kind.version(&bin)
                    .unwrap_or_else(|| kind.process_name().to_owned()),
                bin.display()
            ),
            None => anstream::println!(
                "  {} no {}\n    fix: `apt install {}` (or your OS's package), or set {}",
                ok(false),
                kind.process_name(),
                kind.package(),
                kind.binary_var()
            ),
        }
    }
    anstream::println!("{}", paint(BOLD, "Your own servers (provider `external`)"));
    for &service in &services {
        let set = external::is_configured(service);
        anstream::println!(
            "  {} {} {}",
            if set {
                paint(GREEN, "✓")
            } else {
                paint(YELLOW, "-")
            },
            service.env_var(),
            if set { "is set" } else { "is not set" }
        );
    }
    let running = registry::load(&course.root)?;
    if !running.is_empty() {
        anstream::println!("{}", paint(BOLD, "Started by `exercise services up`"));
        for (service, entry) in &running {
            anstream::println!(
                "  {} {} {}",
                ok(registry::port_open(&entry.url)),
                service.as_str(),
                entry.url
            );
        }
    }
    let mut usable = true;
    anstream::println!(
        "{}",
        paint(
            BOLD,
            &format!("With --services {}", format!("{chosen:?}").to_lowercase())
        )
    );
    for &service in &services {
        let mut from = None;
        for &source in chosen.sources() {
            if source.offers(service, &course.root)? {
                from = Some(match source {
                    Source::External if chosen == ProviderKind::Auto => {
                        "external (its variable is set)"
                    }
                    other => other.name(),
                });
                break;
            }
        }
        usable &= from.is_some();
        anstream::println!(
            "  {} {} from {}",
            ok(from.is_some()),
            service.as_str(),
            from.unwrap_or("nowhere: see the fixes above")
        );
    }
    // Not a requirement of the exercises: said, never a failure of doctor.
    anstream::println!(
        "{}",
        paint(BOLD, "Sandbox (grade's default; --sandbox on elsewhere)")
    );
    match crate::sandbox::Sandbox::new(
        crate::sandbox::Mode::Auto,
        crate::sandbox::Limits::default(),
    )? {
        (Some(sandbox), _) => anstream::println!("  {} {}", ok(true), sandbox.describe()),
        (None, why) => {
            anstream::println!("  {} none: {}", paint(YELLOW, "!"), why.unwrap_or_default())
        }
    }
    Ok(Exit::from_ok(usable))
}
