//! CAP in the small: one register replicated on a few nodes over a network that the tests
//! partition. `CpRegister` stays consistent and refuses on a minority side; `ApRegister` stays
//! available everywhere and reconciles afterwards, keeping concurrent writes as siblings.

use std::collections::BTreeMap;

pub type NodeId = usize;

/// Which nodes can talk: nodes on the same side of a partition reach each other, no others.
#[derive(Debug, Clone)]
pub struct Network {
    side: Vec<usize>,
}

impl Network {
    /// `nodes` nodes, all connected.
    pub fn new(nodes: usize) -> Network {
        Network {
            side: vec![0; nodes],
        }
    }

    pub fn nodes(&self) -> usize {
        self.side.len()
    }

    /// Splits the nodes into `sides`; a node in no side is cut off alone.
    pub fn partition(&mut self, sides: &[&[NodeId]]) {
        for (i, s) in self.side.iter_mut().enumerate() {
            *s = sides.len() + 1 + i;
        }
        for (n, side) in sides.iter().enumerate() {
            for &node in *side {
                self.side[node] = n;
            }
        }
    }

    pub fn heal(&mut self) {
        self.side.iter_mut().for_each(|s| *s = 0);
    }

    pub fn can_reach(&self, a: NodeId, b: NodeId) -> bool {
        self.side[a] == self.side[b]
    }

    /// The nodes `from` can reach, itself included.
    pub fn reachable_from(&self, from: NodeId) -> Vec<NodeId> {
        (0..self.nodes())
            .filter(|&n| self.can_reach(from, n))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no majority of the replicas is reachable from node {0}")]
pub struct Unavailable(pub NodeId);

/// A version: a counter, then the writing node to tell apart two writes with one counter.
type Version = (u64, NodeId);

/// Consistent under partition: every operation needs a majority of the replicas.
#[derive(Debug, Clone)]
pub struct CpRegister {
    replicas: Vec<(Version, Option<String>)>,
}

impl CpRegister {
    pub fn new(nodes: usize) -> CpRegister {
        CpRegister {
            replicas: vec![((0, 0), None); nodes],
        }
    }

    /// The replicas `via` can reach, if they are a majority of all.
    fn quorum(&self, net: &Network, via: NodeId) -> Result<Vec<NodeId>, Unavailable> {
        let reachable = net.reachable_from(via);
        if reachable.len() * 2 > self.replicas.len() {
            Ok(reachable)
        } else {
            Err(Unavailable(via))
        }
    }

    /// Acknowledged only once a majority stores it; refused (and stored nowhere) otherwise.
    pub fn write(&mut self, net: &Network, via: NodeId, value: &str) -> Result<(), Unavailable> {
        let quorum = self.quorum(net, via)?;
        // Above every version a majority has: any later majority read sees this one as newest.
        let newest = quorum
            .iter()
            .map(|&n| self.replicas[n].0.0)
            .max()
            .unwrap_or(0);
        let version = (newest + 1, via);
        for n in quorum {
            self.replicas[n] = (version, Some(value.to_owned()));
        }
        Ok(())
    }

    /// The newest value among a majority: it includes every acknowledged write.
    pub fn read(&mut self, net: &Network, via: NodeId) -> Result<Option<String>, Unavailable> {
        let quorum = self.quorum(net, via)?;
        let newest = quorum
            .iter()
            .map(|&n| &self.replicas[n])
            .max_by_key(|(version, _)| *version)
            .map(|(_, value)| value.clone())
            .unwrap_or(None);
        Ok(newest)
    }
}

/// A version vector: for each node, how many of its writes are known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionVector(BTreeMap<NodeId, u64>);

impl VersionVector {
    pub fn get(&self, node: NodeId) -> u64 {
        self.0.get(&node).copied().unwrap_or(0)
    }

    /// Whether the write `dot` (node, counter) is known here.
    pub fn covers(&self, dot: Dot) -> bool {
        self.get(dot.node) >= dot.counter
    }

    /// Knows what either knows.
    pub fn merge(&mut self, other: &VersionVector) {
        for (&node, &counter) in &other.0 {
            let mine = self.0.entry(node).or_insert(0);
            *mine = (*mine).max(counter);
        }
    }

    fn record(&mut self, dot: Dot) {
        let mine = self.0.entry(dot.node).or_insert(0);
        *mine = (*mine).max(dot.counter);
    }
}

/// One write's identity: the node that took it and that node's counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dot {
    pub node: NodeId,
    pub counter: u64,
}

/// A value and the write that made it. `written_at_ms` is the writing node's wall clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sibling {
    pub value: String,
    pub dot: Dot,
    pub written_at_ms: i64,
}

/// What a read returns: every concurrent value, and the context to write back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub siblings: Vec<Sibling>,
    pub context: VersionVector,
}

impl Read {
    /// The values, sorted.
    pub fn values(&self) -> Vec<String> {
        let mut v: Vec<String> = self.siblings.iter().map(|s| s.value.clone()).collect();
        v.sort();
        v
    }
}

#[derive(Debug, Clone, Default)]
struct ApReplica {
    siblings: Vec<Sibling>,
    /// Every write this replica has seen, kept or replaced.
    seen: VersionVector,
    clock_ms: i64,
}

/// Available under partition: any node takes reads and writes; replicas reconcile in `sync`.
#[derive(Debug, Clone)]
pub struct ApRegister {
    replicas: Vec<ApReplica>,
}

impl ApRegister {
    pub fn new(nodes: usize) -> ApRegister {
        ApRegister {
            replicas: vec![ApReplica::default(); nodes],
        }
    }

    /// Sets `node`'s wall clock (clocks of different machines disagree).
    pub fn set_clock(&mut self, node: NodeId, ms: i64) {
        self.replicas[node].clock_ms = ms;
    }

    /// What `via` has, whatever the network.
    pub fn read(&self, via: NodeId) -> Read {
        let replica = &self.replicas[via];
        Read {
            siblings: replica.siblings.clone(),
            context: replica.seen.clone(),
        }
    }

    /// Always accepted. The new value replaces what the writer had read (`context`) and
    /// nothing else: values written concurrently stay, as siblings.
    pub fn write(&mut self, via: NodeId, value: &str, context: &VersionVector) {
        let replica = &mut self.replicas[via];
        let dot = Dot {
            node: via,
            counter: replica.seen.get(via) + 1,
        };
        replica.siblings.retain(|s| !context.covers(s.dot));
        replica.siblings.push(Sibling {
            value: value.to_owned(),
            dot,
            written_at_ms: replica.clock_ms,
        });
        replica.seen.merge(context);
        replica.seen.record(dot);
    }

    /// Anti-entropy: every pair of replicas that can reach each other reconciles, until
    /// nothing changes.
    pub fn sync(&mut self, net: &Network) {
        loop {
            let mut changed = false;
            for a in 0..self.replicas.len() {
                for b in 0..self.replicas.len() {
                    if a != b && net.can_reach(a, b) {
                        changed |= self.pull(a, b);
                    }
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// `into` learns what `from` knows; whether anything changed.
    fn pull(&mut self, into: NodeId, from: NodeId) -> bool {
        let theirs = self.replicas[from].clone();
        let mine = &mut self.replicas[into];
        let before = (mine.siblings.clone(), mine.seen.clone());
        // Keep mine unless they have seen it and no longer have it (it was replaced there).
        mine.siblings
            .retain(|s| theirs.siblings.contains(s) || !theirs.seen.covers(s.dot));
        // Take theirs that I have not seen yet (seen and absent: I replaced it).
        for s in theirs.siblings {
            if !mine.seen.covers(s.dot) && !mine.siblings.contains(&s) {
                mine.siblings.push(s);
            }
        }
        mine.seen.merge(&theirs.seen);
        (&mine.siblings, &mine.seen) != (&before.0, &before.1)
    }
}
