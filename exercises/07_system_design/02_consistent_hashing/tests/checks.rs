use std::collections::HashMap;

use consistent_hashing::*;

const KEYS: usize = 100_000;
const VNODES: u32 = 200;

fn keys() -> Vec<String> {
    (0..KEYS).map(|i| format!("user:{i}")).collect()
}

fn nodes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("cache-{i}")).collect()
}

fn ring(nodes: &[String]) -> Ring {
    let mut ring = Ring::new(VNODES);
    for node in nodes {
        ring.add(node);
    }
    ring
}

/// The definition, slowly: the point with the smallest position at or after the key's, else
/// the smallest position of all; ties go to the smaller node name.
fn oracle(nodes: &[String], vnodes: u32, key: &str) -> String {
    let h = stable_hash(key);
    let points: Vec<(u64, &String)> = nodes
        .iter()
        .flat_map(|n| (0..vnodes).map(move |i| (stable_hash(&vnode_label(n, i)), n)))
        .collect();
    let after = points.iter().filter(|(p, _)| *p >= h).min();
    after.or_else(|| points.iter().min()).unwrap().1.clone()
}

#[test]
fn keys_go_where_the_definition_says() {
    let nodes = nodes(5);
    let ring = ring(&nodes);
    for key in keys().iter().step_by(50) {
        assert_eq!(
            ring.node_for(key),
            Some(oracle(&nodes, VNODES, key).as_str()),
            "{key}: the owner is the first point at or after the key's position, clockwise"
        );
    }
    // Keys past the last point wrap around to the first one (rings of several sizes, so that
    // the first and the last point belong to different nodes in some of them).
    for size in 2..=8 {
        let nodes = self::nodes(size);
        let ring = self::ring(&nodes);
        let last = nodes
            .iter()
            .flat_map(|n| (0..VNODES).map(move |i| stable_hash(&vnode_label(n, i))))
            .max()
            .unwrap();
        let beyond: Vec<String> = keys()
            .into_iter()
            .filter(|k| stable_hash(k) > last)
            .take(3)
            .collect();
        assert!(
            !beyond.is_empty(),
            "[test infrastructure] keys past the last point"
        );
        for key in &beyond {
            assert_eq!(
                ring.node_for(key),
                Some(oracle(&nodes, VNODES, key).as_str()),
                "{key} lies past the last point of a ring of {size} nodes: the ring wraps \
                 round to the first point"
            );
        }
    }
    // A key exactly on a point belongs to that point's node.
    for node in &nodes {
        let label = vnode_label(node, 7);
        assert_eq!(
            ring.node_for(&label),
            Some(node.as_str()),
            "`{label}` hashes exactly onto {node}'s point 7: at or after includes at"
        );
    }
    assert_eq!(
        Ring::new(VNODES).node_for("user:1"),
        None,
        "an empty ring owns nothing"
    );
}

#[test]
fn placement_does_not_depend_on_the_order_nodes_joined() {
    let nodes = nodes(6);
    let forward = ring(&nodes);
    let mut reversed_nodes = nodes.clone();
    reversed_nodes.reverse();
    let backward = ring(&reversed_nodes);
    for key in keys().iter().step_by(10) {
        assert_eq!(
            forward.node_for(key),
            backward.node_for(key),
            "every client builds the ring from its own list of nodes, in its own order: they \
             must agree on every key"
        );
    }
}

fn moved(before: &Ring, after: &Ring) -> Vec<(String, String, String)> {
    keys()
        .into_iter()
        .filter_map(|k| {
            let (a, b) = (before.node_for(&k)?, after.node_for(&k)?);
            (a != b).then(|| (k.clone(), a.to_owned(), b.to_owned()))
        })
        .collect()
}

#[test]
fn a_new_node_takes_about_its_share_and_only_from_the_others() {
    let ten = nodes(10);
    let before = ring(&ten);
    let mut after = ring(&ten);
    after.add("cache-new");
    let moved = moved(&before, &after);
    let share = moved.len() as f64 / KEYS as f64;
    assert!(
        (0.7 / 11.0..=1.3 / 11.0).contains(&share),
        "adding an 11th node moved {:.1} % of {KEYS} keys; about 1/11 ({:.1} %) must move — \
         the new node's share, and no more. (`hash % n` moves about 10 in 11: every cache \
         goes cold at once)",
        share * 100.0,
        100.0 / 11.0
    );
    assert!(
        moved.iter().all(|(_, _, to)| to == "cache-new"),
        "keys moved between old nodes: only the new node's share may move"
    );

    let modulo_moved = keys()
        .iter()
        .filter(|k| {
            let old: Vec<&str> = ten.iter().map(String::as_str).collect();
            let mut new = old.clone();
            new.push("cache-new");
            modulo_node(&old, k) != modulo_node(&new, k)
        })
        .count();
    assert!(
        modulo_moved > KEYS * 8 / 10,
        "[the comparison] hash % n moved {modulo_moved}"
    );
}

#[test]
fn a_node_that_leaves_gives_away_only_its_own_keys() {
    let ten = nodes(10);
    let before = ring(&ten);
    let mut after = ring(&ten);
    after.remove("cache-3");
    let moved = moved(&before, &after);
    assert!(
        moved.iter().all(|(_, from, _)| from == "cache-3"),
        "only cache-3's keys move when cache-3 leaves"
    );
    let owned = keys()
        .iter()
        .filter(|k| before.node_for(k) == Some("cache-3"))
        .count();
    assert_eq!(moved.len(), owned, "and all of them move");
    let receivers: std::collections::HashSet<&str> =
        moved.iter().map(|(_, _, to)| to.as_str()).collect();
    assert!(
        receivers.len() >= 8,
        "cache-3's keys are spread over the other nodes ({} of 9 got some), not dumped on \
         its one neighbour: that is what virtual nodes are for",
        receivers.len()
    );
}

#[test]
fn virtual_nodes_keep_the_load_even() {
    let ten = nodes(10);
    let ring = ring(&ten);
    let mut load: HashMap<&str, usize> = HashMap::new();
    let keys = keys();
    for key in &keys {
        *load.entry(ring.node_for(key).unwrap()).or_default() += 1;
    }
    let mean = KEYS as f64 / 10.0;
    let (min, max) = (
        *load.values().min().unwrap() as f64,
        *load.values().max().unwrap() as f64,
    );
    assert_eq!(load.len(), 10, "every node owns keys");
    assert!(
        max <= mean * 1.25 && min >= mean * 0.75,
        "with {VNODES} points per node the busiest node has {max} keys and the idlest {min} \
         (mean {mean}): more than 25 % off. One point per node leaves arcs of very different \
         lengths; many points per node average them out"
    );
}
