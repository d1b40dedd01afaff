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
        for i in 0..self.vnodes_per_node {
            self.points
                .push((stable_hash(&vnode_label(node, i)), node.to_owned()));
        }
        self.points.sort();
        self.points.dedup();
    }

    /// Takes `node`'s points off the ring.
    pub fn remove(&mut self, node: &str) {
        self.points.retain(|(_, n)| n != node);
    }

    /// The node that owns `key`: the first point at or after the key's position, going round
    /// past the end to the first point.
    pub fn node_for(&self, key: &str) -> Option<&str> {
        let h = stable_hash(key);
        let i = self.points.partition_point(|(p, _)| *p < h);
        let (_, node) = self.points.get(i).or_else(|| self.points.first())?;
        Some(node)
    }
}
