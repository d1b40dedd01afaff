//! Consistent hashing: a ring of virtual nodes, so that adding or removing a node moves only
//! the keys that must move.

/// A hash that is the same on every machine, every run and every Rust version (std's hashers
/// promise none of that): XXH3, 64 bits.
pub fn stable_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// The label of a node's `i`-th point on the ring.
pub fn vnode_label(node: &str, i: u32) -> String {
    format!("{node}#{i}")
}

/// The naive placement, for comparison: `hash % n`.
pub fn modulo_node<'a>(nodes: &[&'a str], key: &str) -> &'a str {
    nodes[(stable_hash(key) % nodes.len() as u64) as usize]
}

#[allow(dead_code)]
pub struct Ring {
    vnodes_per_node: u32,
    /// Every point on the ring, sorted by position (then by node, so that two points at the
    /// same position order the same way whatever the order nodes were added in).
    points: Vec<(u64, String)>,
}

impl Ring {
    pub fn new(vnodes_per_node: u32) -> Ring {
        Ring {
            vnodes_per_node,
            points: Vec::new(),
        }
    }

    /// Puts `node`'s points on the ring.
    pub fn add(&mut self, node: &str) {
        todo!("put the node's vnodes_per_node points on the ring, kept sorted")
    }

    /// Takes `node`'s points off the ring.
    pub fn remove(&mut self, node: &str) {
        todo!("take the node's points off")
    }

    /// The node that owns `key`: the first point at or after the key's position, going round
    /// past the end to the first point.
    pub fn node_for(&self, key: &str) -> Option<&str> {
        todo!("the first point at or after the key's position, round past the end")
    }
}
