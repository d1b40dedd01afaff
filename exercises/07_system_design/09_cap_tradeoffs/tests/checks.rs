use std::collections::{BTreeSet, HashMap};

use cap_tradeoffs::{ApRegister, CpRegister, Network, NodeId, Read, Unavailable, VersionVector};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

/// Splits the nodes into one to three random sides.
fn random_partition(rng: &mut StdRng, net: &mut Network) {
    let mut nodes: Vec<NodeId> = (0..net.nodes()).collect();
    nodes.shuffle(rng);
    let sides = rng.random_range(1..=3usize);
    let mut split: Vec<Vec<NodeId>> = vec![Vec::new(); sides];
    for node in nodes {
        split[rng.random_range(0..sides)].push(node);
    }
    let refs: Vec<&[NodeId]> = split.iter().map(Vec::as_slice).collect();
    net.partition(&refs);
}

/// Where a random run failed, and the events that led there.
fn story(nodes: usize, seed: u64, step: usize, log: &[String]) -> String {
    let tail = log.len().saturating_sub(8);
    format!(
        "{nodes} nodes, seed {seed}, step {step}; the last events:\n  {}",
        log[tail..].join("\n  ")
    )
}

fn has_majority(net: &Network, via: NodeId) -> bool {
    net.reachable_from(via).len() * 2 > net.nodes()
}

// ---- CP: a majority quorum --------------------------------------------------------------

#[test]
fn cp_refuses_on_the_minority_side_and_loses_nothing() {
    let mut net = Network::new(3);
    let mut reg = CpRegister::new(3);
    reg.write(&net, 0, "a").unwrap();
    net.partition(&[&[0, 1], &[2]]);

    reg.write(&net, 0, "b")
        .expect("nodes 0 and 1 are a majority of 3: the write succeeds");
    assert_eq!(
        reg.write(&net, 2, "c"),
        Err(Unavailable(2)),
        "node 2 is alone: a CP register refuses the write (accepting it is how two sides diverge)"
    );
    assert_eq!(
        reg.read(&net, 2),
        Err(Unavailable(2)),
        "node 2 is alone and missed \"b\": its own copy is stale, so a CP read there is refused, not answered"
    );
    assert_eq!(reg.read(&net, 1), Ok(Some("b".into())));

    net.heal();
    assert_eq!(
        reg.read(&net, 2),
        Ok(Some("b".into())),
        "healed: node 2's read asks a majority, and any majority includes a node that has \"b\""
    );
}

#[test]
fn an_even_split_has_no_majority_on_either_side() {
    let mut net = Network::new(4);
    let mut reg = CpRegister::new(4);
    net.partition(&[&[0, 1], &[2, 3]]);
    for via in 0..4 {
        assert_eq!(
            reg.write(&net, via, "x"),
            Err(Unavailable(via)),
            "4 replicas split 2 | 2: two is not a majority of four (else both sides write, and the register has two values)"
        );
    }
}

#[test]
fn cp_never_answers_with_a_value_older_than_the_last_acknowledged_write() {
    for nodes in [3, 4, 5] {
        for seed in 0..25 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut net = Network::new(nodes);
            let mut reg = CpRegister::new(nodes);
            let mut last_acked: Option<String> = None;
            let mut log = Vec::new();
            for step in 0..300 {
                let via = rng.random_range(0..nodes);
                let roll = rng.random_range(0..100);
                if roll < 12 {
                    random_partition(&mut rng, &mut net);
                    log.push(format!("partition {net:?}"));
                    continue;
                }
                if roll < 16 {
                    net.heal();
                    log.push("heal".to_owned());
                    continue;
                }
                let majority = has_majority(&net, via);
                if roll < 58 {
                    let value = format!("v{step}");
                    let result = reg.write(&net, via, &value);
                    log.push(format!("write {value} via {via}: {result:?}"));
                    match result {
                        Ok(()) => {
                            assert!(
                                majority,
                                "node {via} cannot reach a majority, yet its write was acknowledged ({})",
                                story(nodes, seed, step, &log)
                            );
                            last_acked = Some(value);
                        }
                        Err(_) => assert!(
                            !majority,
                            "node {via} reaches a majority, yet its write was refused: a CP system is available wherever a majority is ({})",
                            story(nodes, seed, step, &log)
                        ),
                    }
                } else {
                    let result = reg.read(&net, via);
                    log.push(format!("read via {via}: {result:?}"));
                    match result {
                        Ok(value) => {
                            assert!(
                                majority,
                                "node {via} cannot reach a majority, yet it answered {value:?} ({})",
                                story(nodes, seed, step, &log)
                            );
                            assert_eq!(
                                value,
                                last_acked,
                                "a stale read: the last acknowledged write was {last_acked:?} ({})",
                                story(nodes, seed, step, &log)
                            );
                        }
                        Err(_) => assert!(
                            !majority,
                            "node {via} reaches a majority, yet its read was refused ({})",
                            story(nodes, seed, step, &log)
                        ),
                    }
                }
            }
        }
    }
}

// ---- AP: version vectors and siblings ---------------------------------------------------

#[test]
fn ap_takes_writes_on_both_sides_and_keeps_both_after_healing() {
    let mut net = Network::new(3);
    let mut reg = ApRegister::new(3);
    net.partition(&[&[0, 1], &[2]]);
    let ctx0 = reg.read(0).context;
    let ctx2 = reg.read(2).context;
    reg.write(0, "blue", &ctx0);
    reg.write(2, "green", &ctx2);
    reg.sync(&net);
    assert_eq!(reg.read(1).values(), ["blue"], "node 1 is on node 0's side");
    assert_eq!(
        reg.read(2).values(),
        ["green"],
        "across the partition nothing is exchanged: node 2 has only its own write"
    );

    net.heal();
    reg.sync(&net);
    for node in 0..3 {
        assert_eq!(
            reg.read(node).values(),
            ["blue", "green"],
            "node {node} after healing: \"blue\" and \"green\" were written without either writer seeing the other — concurrent — so both are kept, as siblings, for the application (or the user) to resolve"
        );
    }
}

#[test]
fn two_writers_on_one_node_with_the_same_old_read_are_concurrent_too() {
    let mut reg = ApRegister::new(3);
    let before = reg.read(0).context;
    reg.write(0, "alice's", &before);
    reg.write(0, "bob's", &before);
    assert_eq!(
        reg.read(0).values(),
        ["alice's", "bob's"],
        "Bob wrote from a read that did not include Alice's write: his does not replace hers (one counter per node cannot tell; each write needs its own dot)"
    );
}

#[test]
fn a_write_that_saw_the_siblings_replaces_them() {
    let mut net = Network::new(3);
    let mut reg = ApRegister::new(3);
    net.partition(&[&[0], &[1, 2]]);
    let (c0, c1) = (reg.read(0).context, reg.read(1).context);
    reg.write(0, "x", &c0);
    reg.write(1, "y", &c1);
    net.heal();
    reg.sync(&net);
    let seen: Read = reg.read(2);
    assert_eq!(seen.values(), ["x", "y"]);

    // Someone reads both, merges them, and writes the result back with the read's context.
    reg.write(2, "x+y", &seen.context);
    assert_eq!(
        reg.read(2).values(),
        ["x+y"],
        "the write's context covers x and y: it replaces both"
    );
    reg.sync(&net);
    for node in 0..3 {
        assert_eq!(
            reg.read(node).values(),
            ["x+y"],
            "node {node} after sync: x and y were replaced by a write that had seen them; they must not come back"
        );
    }
}

#[test]
fn a_later_write_on_a_machine_whose_clock_is_behind_still_wins() {
    let mut net = Network::new(3);
    let mut reg = ApRegister::new(3);
    reg.set_clock(0, 1_000_000);
    // Node 2's clock is ten seconds slow: NTP has not fixed it yet.
    reg.set_clock(2, 990_000);
    let ctx = reg.read(0).context;
    reg.write(0, "draft", &ctx);
    reg.sync(&net);

    net.partition(&[&[0, 1], &[2]]);
    reg.set_clock(2, 995_000);
    let on_2 = reg.read(2);
    assert_eq!(on_2.values(), ["draft"]);
    reg.write(2, "final", &on_2.context);
    net.heal();
    reg.sync(&net);
    for node in 0..3 {
        assert_eq!(
            reg.read(node).values(),
            ["final"],
            "\"final\" was written after reading \"draft\": it replaces it, whatever the clocks say. Last-writer-wins by wall clock keeps \"draft\" (stamped 1 000 000 on node 0, against 995 000 on node 2's slow clock) and silently loses the later write"
        );
    }
}

/// The test's own bookkeeping of causality: a write's history is itself and the histories of
/// the values its writer had read. A write survives iff no other write's history holds it.
#[derive(Default)]
struct Causality {
    history: HashMap<String, BTreeSet<String>>,
}

impl Causality {
    fn write(&mut self, value: &str, read: &[String]) {
        let mut h: BTreeSet<String> = read
            .iter()
            .flat_map(|v| self.history[v].iter().cloned())
            .collect();
        h.insert(value.to_owned());
        self.history.insert(value.to_owned(), h);
    }

    fn survivors(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .history
            .keys()
            .filter(|w| {
                !self
                    .history
                    .iter()
                    .any(|(other, h)| other != *w && h.contains(*w))
            })
            .cloned()
            .collect();
        out.sort();
        out
    }
}

#[test]
fn ap_converges_to_exactly_the_writes_nobody_replaced() {
    for nodes in [3, 5] {
        for seed in 0..25 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut net = Network::new(nodes);
            let mut reg = ApRegister::new(nodes);
            let mut causality = Causality::default();
            // Which nodes may know each write: where it was taken, then what sync could carry.
            let mut known_at: HashMap<String, BTreeSet<NodeId>> = HashMap::new();
            // Clients keep what they read, and sometimes write much later, from a stale read.
            let mut reads: Vec<(NodeId, Read)> = Vec::new();
            for node in 0..nodes {
                reg.set_clock(node, rng.random_range(0..10_000));
            }
            for step in 0..250 {
                let here = format!("{nodes} nodes, seed {seed}, step {step}");
                for node in 0..nodes {
                    reg.set_clock(node, 10_000 + step * 100 + rng.random_range(-5_000..5_000));
                }
                let via = rng.random_range(0..nodes);
                match rng.random_range(0..100) {
                    0..10 => random_partition(&mut rng, &mut net),
                    10..14 => net.heal(),
                    14..30 => {
                        reg.sync(&net);
                        for nodes_knowing in known_at.values_mut() {
                            let reach: BTreeSet<NodeId> = nodes_knowing
                                .iter()
                                .flat_map(|&n| net.reachable_from(n))
                                .collect();
                            nodes_knowing.extend(reach);
                        }
                    }
                    30..65 => {
                        let read = reg.read(via);
                        for value in read.values() {
                            assert!(
                                known_at.get(&value).is_some_and(|k| k.contains(&via)),
                                "{here}: node {via} shows {value:?}, which could not have reached it (sync must exchange only between nodes that can reach each other)"
                            );
                        }
                        reads.push((via, read));
                    }
                    _ => {
                        // Write from one of the reads clients kept (or from nothing).
                        let value = format!("w{step}");
                        let (node, read) = match reads.len() {
                            0 => (via, reg.read(via)),
                            n => reads.swap_remove(rng.random_range(0..n)),
                        };
                        reg.write(node, &value, &read.context);
                        causality.write(&value, &read.values());
                        known_at.insert(value.clone(), BTreeSet::from([node]));
                        let after = reg.read(node).values();
                        assert!(
                            after.contains(&value),
                            "{here}: node {node} took the write {value:?} and does not show it: {after:?}"
                        );
                    }
                }
            }
            net.heal();
            reg.sync(&net);
            let expected = causality.survivors();
            for node in 0..nodes {
                assert_eq!(
                    reg.read(node).values(),
                    expected,
                    "{nodes} nodes, seed {seed}, after healing and sync: node {node} should hold exactly the writes that no later write had read (replaced ones gone, concurrent ones all kept)"
                );
            }
        }
    }
}

#[test]
fn a_context_is_a_version_vector() {
    let mut reg = ApRegister::new(2);
    let empty = VersionVector::default();
    assert_eq!(reg.read(0).context, empty, "nothing written, nothing seen");
    reg.write(0, "a", &empty);
    let ctx = reg.read(0).context;
    assert_eq!(
        (ctx.get(0), ctx.get(1)),
        (1, 0),
        "one write seen, taken by node 0"
    );
}
