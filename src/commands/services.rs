//! `exercise services up|status|down` and `exercise doctor`.

use anyhow::{Result, bail};

use crate::cli::ServicesCommand;
use crate::course::{Course, Service};
use crate::exit::Exit;
use crate::services::config::{POSTGRES_IMAGE_VAR, REDIS_IMAGE_VAR, ServicesConfig};
use crate::services::registry::{self, Entries, Entry};
use crate::services::{Provider, ProviderKind, Source, container, external, local};
use crate::ui::{BOLD, GREEN, RED, YELLOW, paint};

const SERVICES: [Service; 2] = [Service::Postgres, Service::Redis];

pub fn services(course: &Course, kind: Option<ProviderKind>, cmd: ServicesCommand) -> Result<Exit> {
    match cmd {
        ServicesCommand::Up => up(course, kind),
        ServicesCommand::Status => status(course),
        ServicesCommand::Down => down(course),
    }
}

fn print_urls(entries: &Entries) {
    for (service, entry) in entries {
        anstream::println!("{}={}", service.env_var(), entry.url);
    }
}

fn up(course: &Course, kind: Option<ProviderKind>) -> Result<Exit> {
    let root = &course.root;
    let existing = registry::load(root)?;
    if !existing.is_empty() && existing.values().all(|e| registry::port_open(&e.url)) {
        anstream::eprintln!("Already running (`exercise services down` stops them):");
        print_urls(&existing);
        return Ok(Exit::Success);
    }
    crate::cleanup::install_signal_handler();
    let config = ServicesConfig::load(root)?;
    let kind = kind.or(config.provider).unwrap_or_default();
    if kind == ProviderKind::External {
        bail!(
            "`services up` starts servers; with external ones, just export DATABASE_URL and REDIS_URL"
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
        for service in SERVICES {
            offers &= source.offers(service, root)?;
        }
        if offers || startable.len() == 1 {
            chosen = Some(source);
            break;
        }
    }
    let Some(source) = chosen else {
        bail!(
            "no container engine and no local Postgres and Redis: `exercise doctor` says what to install"
        );
    };
    let mut entries = Entries::new();
    match source {
        Source::Container => {
            let mut provider = container::ContainerProvider::with_keep(root, &config, true)?;
            for service in SERVICES {
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
            for service in SERVICES {
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
        "{} Postgres and Redis are running ({source}); exercises will use them until `exercise services down`.\n\
         Each run still gets a fresh database of its own. To look around by hand: psql \"$DATABASE_URL\"",
        paint(GREEN, "✓")
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
    if engine.is_ok() {
        for (image, var) in [
            (&config.postgres_image, POSTGRES_IMAGE_VAR),
            (&config.redis_image, REDIS_IMAGE_VAR),
        ] {
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
    match local::postgres_bin_dir() {
        Some(dir) => anstream::println!(
            "  {} {} ({})",
            ok(true),
            local::version_of(&dir.join("postgres")).unwrap_or_else(|| "postgres".into()),
            dir.display()
        ),
        None => anstream::println!(
            "  {} no postgres/initdb\n    fix: `apt install postgresql` (or your OS's package)",
            ok(false)
        ),
    }
    match local::redis_server() {
        Some(bin) => anstream::println!(
            "  {} {} ({})",
            ok(true),
            local::version_of(&bin).unwrap_or_else(|| "redis-server".into()),
            bin.display()
        ),
        None => anstream::println!(
            "  {} no redis-server\n    fix: `apt install redis-server`",
            ok(false)
        ),
    }
    anstream::println!("{}", paint(BOLD, "Your own servers (provider `external`)"));
    for service in SERVICES {
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
    for service in SERVICES {
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
    Ok(Exit::from_ok(usable))
}
