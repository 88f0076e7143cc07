import { describe, expect, it } from 'vitest';
import { buildGraph, reach, reachedEdgeParts, type EdgeRow } from '../../server/src/coverage/graph.ts';
import { greedySiting } from '../../server/src/coverage/siting.ts';
import { anchorDistance, reachFrom, type CityModel } from '../../server/src/coverage/model.ts';
import { plainDijkstra } from './plain-dijkstra.ts';

/** A small deterministic generator so the random graphs are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A jittered street grid with some missing blocks and some diagonal shortcuts. */
function randomNetwork(seed: number, side: number): { nodes: number[]; edges: EdgeRow[] } {
  const r = rng(seed);
  const nodes: number[] = [];
  const edges: EdgeRow[] = [];
  const id = (x: number, y: number) => 1000 + y * side + x;
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) nodes.push(id(x, y));
  let eid = 1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (x + 1 < side && r() > 0.1) edges.push({ id: eid++, source: id(x, y), target: id(x + 1, y), length: 60 + r() * 80 });
      if (y + 1 < side && r() > 0.1) edges.push({ id: eid++, source: id(x, y + 1), target: id(x, y), length: 60 + r() * 80 });
      if (x + 1 < side && y + 1 < side && r() > 0.85) edges.push({ id: eid++, source: id(x, y), target: id(x + 1, y + 1), length: 90 + r() * 100 });
    }
  }
  return { nodes, edges };
}

describe('the in-memory walking graph', () => {
  it('reaches exactly the nodes a plain Dijkstra reaches, at the same distances', () => {
    const { nodes, edges } = randomNetwork(7, 30);
    const graph = buildGraph(nodes, edges);
    for (const [origin, budget] of [[1000, 1000], [1000 + 15 * 30 + 15, 1080], [1000 + 29 * 30 + 3, 300]] as const) {
      const mine = reach(graph, [{ node: graph.indexOf.get(origin)!, offset: 0 }], budget);
      const theirs = plainDijkstra(edges, new Map([[origin, 0]]), budget);
      const reached = new Map<number, number>();
      for (const v of mine.settled) reached.set(graph.nodeIds[v]!, mine.dist[v]!);
      expect([...reached.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [node, d] of theirs) expect(reached.get(node)).toBeCloseTo(d, 9);
      expect(theirs.size).toBeGreaterThan(3);
    }
  });

  it('searches from several facilities at once, each starting with its snap already walked', () => {
    const { nodes, edges } = randomNetwork(11, 25);
    const graph = buildGraph(nodes, edges);
    const sources = new Map([[1003, 40], [1000 + 20 * 25 + 20, 0], [1000 + 12 * 25 + 5, 120]]);
    const mine = reach(graph, [...sources].map(([id, offset]) => ({ node: graph.indexOf.get(id)!, offset })), 720);
    const theirs = plainDijkstra(edges, sources, 720);
    expect(mine.settled.length).toBe(theirs.size);
    for (const [node, d] of theirs) expect(mine.dist[graph.indexOf.get(node)!]).toBeCloseTo(d, 9);
    // Nodes outside the budget stay unreached.
    const unreached = nodes.filter((n) => !theirs.has(n));
    expect(unreached.length).toBeGreaterThan(0);
    for (const n of unreached) expect(mine.dist[graph.indexOf.get(n)!]).toBe(Infinity);
  });

  it('ignores a source whose snap alone exceeds the budget', () => {
    const graph = buildGraph([1, 2], [{ id: 1, source: 1, target: 2, length: 10 }]);
    const r = reach(graph, [{ node: 0, offset: 200 }], 100);
    expect(r.settled.length).toBe(0);
  });

  it('cuts the edge where the budget runs out, from whichever end it is walked', () => {
    // 1 —100— 2 —100— 3 —100— 4, sources at 1 and 4
    const edges = [
      { id: 10, source: 1, target: 2, length: 100 },
      { id: 11, source: 3, target: 2, length: 100 },
      { id: 12, source: 3, target: 4, length: 100 },
    ];
    const graph = buildGraph([1, 2, 3, 4], edges);
    const r = reach(graph, [{ node: 0, offset: 0 }, { node: 3, offset: 20 }], 150);
    const parts = reachedEdgeParts(graph, r).map((p) => ({ id: graph.edgeIds[p.edge], from: +p.from.toFixed(6), to: +p.to.toFixed(6) }));
    parts.sort((a, b) => a.id! - b.id! || a.from - b.from);
    expect(parts).toEqual([
      { id: 10, from: 0, to: 1 },
      // edge 11 runs 3→2: from 2 (source 1 side) 50 m left, from 3 (source 4 side) 150−120 = 30 m left
      { id: 11, from: 0, to: 0.3 },
      { id: 11, from: 0.5, to: 1 },
      { id: 12, from: 0, to: 1 },
    ]);
  });

  it('keeps a whole edge when the budgets from both ends meet on it', () => {
    const graph = buildGraph([1, 2, 3], [
      { id: 1, source: 1, target: 2, length: 100 },
      { id: 2, source: 2, target: 3, length: 100 },
    ]);
    const r = reach(graph, [{ node: 0, offset: 0 }, { node: 2, offset: 0 }], 60);
    const parts = reachedEdgeParts(graph, r);
    expect(parts.map((p) => [graph.edgeIds[p.edge], +p.from.toFixed(6), +p.to.toFixed(6)])).toEqual([
      [1, 0, 0.6],
      [2, 0.4, 1],
    ]);
    const r2 = reach(graph, [{ node: 0, offset: 0 }, { node: 2, offset: 0 }], 150);
    expect(reachedEdgeParts(graph, r2).map((p) => [p.from, p.to])).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });
});

describe('greedy siting', () => {
  type Bld = { edge: number; frac: number; snap: number; pop: number };
  /** A building's walking distance from a set of facility nodes, by brute force over the plain search. */
  function coveredBy(edges: EdgeRow[], sites: number[], blds: Bld[], budget: number): number {
    const d = plainDijkstra(edges, new Map(sites.map((s) => [s, 0])), budget);
    return blds.reduce((sum, b) => {
      const e = edges[b.edge]!;
      const walk = Math.min((d.get(e.source) ?? Infinity) + b.frac * e.length, (d.get(e.target) ?? Infinity) + (1 - b.frac) * e.length) + b.snap;
      return sum + (walk <= budget ? b.pop : 0);
    }, 0);
  }

  it('picks, at each step, the site that adds the most population, and reports what each adds', async () => {
    const { nodes, edges } = randomNetwork(3, 14);
    const graph = buildGraph(nodes, edges);
    const r = rng(99);
    // Buildings along random streets, some way along each and some metres off it.
    const blds: Bld[] = Array.from({ length: 150 }, () => ({ edge: Math.floor(r() * edges.length), frac: r(), snap: Math.floor(r() * 60), pop: 1 + Math.floor(r() * 300) }));
    const budget = 400;
    const existing = [nodes[0]!];
    const one = (b: Bld) => coveredBy(edges, existing, [b], budget) > 0;
    const sites = await greedySiting({
      graph,
      buildingEdge: Int32Array.from(blds, (b) => b.edge),
      buildingFrac: Float64Array.from(blds, (b) => b.frac),
      buildingSnap: Float64Array.from(blds, (b) => b.snap),
      buildingPopulation: Float64Array.from(blds, (b) => b.pop),
      covered: Uint8Array.from(blds, (b) => (one(b) ? 1 : 0)),
      candidates: new Uint8Array(nodes.length).fill(1),
      budget,
      count: 3,
    });
    expect(sites).toHaveLength(3);
    // Replay the greedy choice by brute force: every candidate node tried at every step.
    const chosen = [...existing];
    let before = coveredBy(edges, chosen, blds, budget);
    for (const site of sites) {
      let bestGain = 0;
      for (const c of nodes) bestGain = Math.max(bestGain, coveredBy(edges, [...chosen, c], blds, budget) - before);
      const picked = graph.nodeIds[site.node]!;
      const gain = coveredBy(edges, [...chosen, picked], blds, budget) - before;
      expect(site.added_population).toBe(gain);
      expect(gain).toBe(bestGain);
      chosen.push(picked);
      before += gain;
    }
    expect(sites.at(-1)!.cumulative_population).toBe(before - coveredBy(edges, existing, blds, budget));
  });

  it('proposes nothing where everyone is already covered', async () => {
    const graph = buildGraph([1, 2], [{ id: 1, source: 1, target: 2, length: 50 }]);
    const sites = await greedySiting({
      graph,
      buildingEdge: Int32Array.from([0, 0]),
      buildingFrac: Float64Array.from([0.2, 0.9]),
      buildingSnap: Float64Array.from([5, 5]),
      buildingPopulation: Float64Array.from([10, 10]),
      covered: Uint8Array.from([1, 1]),
      candidates: Uint8Array.from([1, 1]),
      budget: 300,
      count: 2,
    });
    expect(sites).toEqual([]);
  });
});

describe('points attached to streets', () => {
  // 1 —100— 2 —200— 3
  const graph = buildGraph([1, 2, 3], [
    { id: 1, source: 1, target: 2, length: 100 },
    { id: 2, source: 2, target: 3, length: 200 },
  ]);
  const model = { graph } as unknown as CityModel;

  it('starts a search from both ends of the street a facility stands on, with the way there already walked', () => {
    const r = reachFrom(model, [{ edge: 1, frac: 0.25, snap: 10 }], 1000);
    expect([...r.dist]).toEqual([160, 60, 160]);
  });

  it('walks straight along the street between a facility and a building on the same street', () => {
    const r = reachFrom(model, [{ edge: 1, frac: 0.5, snap: 10 }], 1000);
    // Through node 3 it would be 10 + 100 + 20 + 5; along the street it is 10 + 90 + 5.
    expect(anchorDistance(graph, r, { edge: 1, frac: 0.95, snap: 5 })).toBeCloseTo(105, 9);
    expect(anchorDistance(graph, r, { edge: 0, frac: 0.5, snap: 0 })).toBeCloseTo(160, 9);
    expect(anchorDistance(graph, r, { edge: -1, frac: 0, snap: 0 })).toBe(Infinity);
  });
});
