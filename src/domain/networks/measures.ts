/**
 * Network measures over a graph the caller has already limited to what its viewer may see. They
 * prompt a question ("this child links groups that are otherwise apart"), never label: the pages
 * put them in words about one child, and no list of children shows a score. Pure, deterministic.
 */

/** An undirected graph as pairs of node ids. */
export type Pairs = readonly (readonly [string, string])[];

function adjacency(pairs: Pairs): Map<string, Set<string>> {
  const adj = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!adj.has(a)) adj.set(a, new Set());
    adj.get(a)!.add(b);
  };
  for (const [a, b] of pairs) {
    if (a === b) continue;
    link(a, b);
    link(b, a);
  }
  return adj;
}

/** How many distinct people each node is linked to. */
export function degree(pairs: Pairs): Map<string, number> {
  return new Map([...adjacency(pairs)].map(([n, s]) => [n, s.size]));
}

/** Betweenness centrality (Brandes, unweighted, undirected: each pair counted once). */
export function betweenness(pairs: Pairs): Map<string, number> {
  const adj = adjacency(pairs);
  const nodes = [...adj.keys()].sort();
  const cb = new Map(nodes.map((n) => [n, 0]));
  for (const s of nodes) {
    const stack: string[] = [];
    const preds = new Map<string, string[]>(nodes.map((n) => [n, []]));
    const sigma = new Map<string, number>(nodes.map((n) => [n, 0]));
    const dist = new Map<string, number>(nodes.map((n) => [n, -1]));
    sigma.set(s, 1);
    dist.set(s, 0);
    const queue = [s];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i]!;
      stack.push(v);
      for (const w of [...adj.get(v)!].sort()) {
        if (dist.get(w)! < 0) { queue.push(w); dist.set(w, dist.get(v)! + 1); }
        if (dist.get(w) === dist.get(v)! + 1) { sigma.set(w, sigma.get(w)! + sigma.get(v)!); preds.get(w)!.push(v); }
      }
    }
    const delta = new Map<string, number>(nodes.map((n) => [n, 0]));
    while (stack.length) {
      const w = stack.pop()!;
      for (const v of preds.get(w)!) delta.set(v, delta.get(v)! + (sigma.get(v)! / sigma.get(w)!) * (1 + delta.get(w)!));
      if (w !== s) cb.set(w, cb.get(w)! + delta.get(w)!);
    }
  }
  for (const n of nodes) cb.set(n, cb.get(n)! / 2);
  return cb;
}

/**
 * Communities by label propagation: each node takes the label most common among its neighbours (ties
 * to the smallest label), in a fixed order, until nothing changes. Returns node → community label.
 */
export function communities(pairs: Pairs, maxRounds = 50): Map<string, string> {
  const adj = adjacency(pairs);
  const nodes = [...adj.keys()].sort();
  const label = new Map(nodes.map((n) => [n, n]));
  for (let round = 0; round < maxRounds; round++) {
    let changed = false;
    for (const n of nodes) {
      const counts = new Map<string, number>();
      for (const m of adj.get(n)!) counts.set(label.get(m)!, (counts.get(label.get(m)!) ?? 0) + 1);
      const best = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
      if (best !== undefined && best !== label.get(n) && (counts.get(best) ?? 0) > (counts.get(label.get(n)!) ?? 0)) {
        label.set(n, best);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return label;
}

/**
 * How many of the groups around a person their links reach: the communities of their neighbours once
 * the person is taken out. Two or more means they link groups that are otherwise apart (a prompt).
 * `together` lists sets of neighbours known to be together without a link between them in `pairs`
 * (a family; the classmates of one school year; the young people at one youth provision): each set
 * counts as joined.
 */
export function groupsBridged(pairs: Pairs, person: string, together: readonly (readonly string[])[] = []): number {
  // Each set of neighbours known to be together becomes one node (union-find over the sets).
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  for (const set of together) for (const p of set.slice(1)) if (p !== person && set[0] !== person) parent.set(find(p), find(set[0]!));
  const merged = pairs.map(([a, b]) => [find(a), find(b)] as const).filter(([a, b]) => a !== b);
  const without = merged.filter(([a, b]) => a !== person && b !== person);
  const neighbours = [...(adjacency(pairs).get(person) ?? [])].map(find);
  const labels = communities(without);
  // A neighbour with no other link is a group of its own.
  return new Set(neighbours.map((n) => labels.get(n) ?? n)).size;
}
