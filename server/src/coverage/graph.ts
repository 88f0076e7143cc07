/**
 * The walking network as compact arrays (compressed sparse rows) and the shortest-path search
 * over it. pgRouting answers one reach in tens of milliseconds, mostly spent loading the graph
 * from SQL on every call; holding the graph in memory once and searching typed arrays answers
 * the same question in a few milliseconds, and all facilities of a kind at once in one search.
 */

/** One undirected edge as PostGIS stores it (`walk_edge`). */
export interface EdgeRow {
  id: number;
  source: number;
  target: number;
  /** Length in metres: the search weight. Walking time is length divided by the speed. */
  length: number;
}

/** The walking network in CSR form. Node and edge indexes are dense (0..n-1, 0..m-1). */
export interface WalkGraph {
  /** Database id of each node index. */
  nodeIds: Float64Array;
  /** Database node id → node index. */
  indexOf: Map<number, number>;
  /** Adjacency of node i is offsets[i]..offsets[i+1]-1 in `adjNode`, `adjLen`, `adjEdge`. */
  offsets: Int32Array;
  adjNode: Int32Array;
  adjLen: Float64Array;
  adjEdge: Int32Array;
  /** Database id, end node indexes and length of each edge index. */
  edgeIds: Float64Array;
  edgeSource: Int32Array;
  edgeTarget: Int32Array;
  edgeLen: Float64Array;
}

/**
 * Builds the CSR arrays. Edges are walkable both ways (a pedestrian network); an edge whose
 * end is not among `nodeIds` is skipped rather than inventing a node.
 */
export function buildGraph(nodeIds: ArrayLike<number>, edges: ArrayLike<EdgeRow> | EdgeRow[]): WalkGraph {
  const n = nodeIds.length;
  const ids = Float64Array.from(nodeIds as ArrayLike<number>);
  const indexOf = new Map<number, number>();
  for (let i = 0; i < n; i++) indexOf.set(ids[i]!, i);

  const kept: number[] = [];
  const src: number[] = [];
  const tgt: number[] = [];
  for (let e = 0; e < edges.length; e++) {
    const row = edges[e]!;
    const s = indexOf.get(row.source);
    const t = indexOf.get(row.target);
    if (s === undefined || t === undefined) continue;
    kept.push(e);
    src.push(s);
    tgt.push(t);
  }
  const m = kept.length;
  const edgeIds = new Float64Array(m);
  const edgeSource = Int32Array.from(src);
  const edgeTarget = Int32Array.from(tgt);
  const edgeLen = new Float64Array(m);
  const degree = new Int32Array(n + 1);
  for (let k = 0; k < m; k++) {
    const row = edges[kept[k]!]!;
    edgeIds[k] = row.id;
    edgeLen[k] = row.length;
    degree[edgeSource[k]!]!++;
    degree[edgeTarget[k]!]!++;
  }
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + degree[i]!;
  const fill = offsets.slice(0, n);
  const adjNode = new Int32Array(2 * m);
  const adjLen = new Float64Array(2 * m);
  const adjEdge = new Int32Array(2 * m);
  for (let k = 0; k < m; k++) {
    const s = edgeSource[k]!;
    const t = edgeTarget[k]!;
    let p = fill[s]!++;
    adjNode[p] = t;
    adjLen[p] = edgeLen[k]!;
    adjEdge[p] = k;
    p = fill[t]!++;
    adjNode[p] = s;
    adjLen[p] = edgeLen[k]!;
    adjEdge[p] = k;
  }
  return { nodeIds: ids, indexOf, offsets, adjNode, adjLen, adjEdge, edgeIds, edgeSource, edgeTarget, edgeLen };
}

/** A start of the search: a node index and the metres already walked to reach it (the snap). */
export interface Source {
  node: number;
  offset: number;
}

/**
 * A binary min-heap of (distance, node) pairs in typed arrays. Entries are never decreased in
 * place; a node pushed again with a shorter distance leaves a stale entry that the search skips.
 */
class MinHeap {
  private keys: Float64Array;
  private vals: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(Math.max(16, capacity));
    this.vals = new Int32Array(Math.max(16, capacity));
  }
  push(key: number, val: number): void {
    if (this.size === this.keys.length) {
      const k = new Float64Array(this.size * 2);
      k.set(this.keys);
      this.keys = k;
      const v = new Int32Array(this.size * 2);
      v.set(this.vals);
      this.vals = v;
    }
    const keys = this.keys;
    const vals = this.vals;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      vals[i] = vals[parent]!;
      i = parent;
    }
    keys[i] = key;
    vals[i] = val;
  }
  /** Removes the smallest entry; read it from `topKey`/`topVal` before calling. */
  pop(): void {
    const keys = this.keys;
    const vals = this.vals;
    const last = --this.size;
    if (last === 0) return;
    const key = keys[last]!;
    const val = vals[last]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && keys[child + 1]! < keys[child]!) child++;
      if (keys[child]! >= key) break;
      keys[i] = keys[child]!;
      vals[i] = vals[child]!;
      i = child;
    }
    keys[i] = key;
    vals[i] = val;
  }
  get topKey(): number {
    return this.keys[0]!;
  }
  get topVal(): number {
    return this.vals[0]!;
  }
}

/** What a search reached: every node index with its distance, in the order they were settled. */
export interface Reach {
  /** Distance in metres per node index; Infinity where not reached within the budget. */
  dist: Float64Array;
  /** The settled node indexes (distance ≤ budget), nearest first. */
  settled: Int32Array;
  budget: number;
}

/**
 * Multi-source Dijkstra with a budget: the walking distance from the nearest source to every
 * node within `budget` metres. One search for all facilities of a kind gives the distance to the
 * nearest of them, which is exactly what coverage needs.
 */
export function reach(graph: WalkGraph, sources: readonly Source[], budget: number): Reach {
  const n = graph.nodeIds.length;
  const dist = new Float64Array(n).fill(Infinity);
  const done = new Uint8Array(n);
  const settled: number[] = [];
  const heap = new MinHeap(Math.min(n, 1024));
  for (const s of sources) {
    if (s.offset <= budget && s.offset < dist[s.node]!) {
      dist[s.node] = s.offset;
      heap.push(s.offset, s.node);
    }
  }
  const { offsets, adjNode, adjLen } = graph;
  while (heap.size > 0) {
    const d = heap.topKey;
    const u = heap.topVal;
    heap.pop();
    if (done[u]) continue;
    done[u] = 1;
    settled.push(u);
    for (let p = offsets[u]!, end = offsets[u + 1]!; p < end; p++) {
      const v = adjNode[p]!;
      if (done[v]) continue;
      const nd = d + adjLen[p]!;
      if (nd <= budget && nd < dist[v]!) {
        dist[v] = nd;
        heap.push(nd, v);
      }
    }
  }
  return { dist, settled: Int32Array.from(settled), budget };
}

/** A walked part of an edge, as fractions of its length measured from its source end. */
export interface EdgePart {
  edge: number;
  from: number;
  to: number;
}

/**
 * The parts of edges a search reached: a whole edge where the budget carries across it, or the
 * stretches walked in from either end where it runs out midway. These, not the nodes, are what
 * an isochrone polygon is drawn around, so it follows the streets instead of hulling them.
 */
export function reachedEdgeParts(graph: WalkGraph, r: Reach): EdgePart[] {
  const parts: EdgePart[] = [];
  const { edgeSource, edgeTarget, edgeLen } = graph;
  const seen = new Uint8Array(edgeLen.length);
  const { offsets, adjEdge } = graph;
  for (let k = 0; k < r.settled.length; k++) {
    const u = r.settled[k]!;
    for (let p = offsets[u]!, end = offsets[u + 1]!; p < end; p++) {
      const e = adjEdge[p]!;
      if (seen[e]) continue;
      seen[e] = 1;
      const len = edgeLen[e]!;
      const ls = r.budget - r.dist[edgeSource[e]!]!; // metres left at the source end (−∞ if unreached)
      const lt = r.budget - r.dist[edgeTarget[e]!]!;
      if (len === 0 || (ls >= 0 && lt >= 0 && ls + lt >= len)) {
        parts.push({ edge: e, from: 0, to: 1 });
        continue;
      }
      if (ls > 0) parts.push({ edge: e, from: 0, to: Math.min(1, ls / len) });
      if (lt > 0) parts.push({ edge: e, from: Math.max(0, 1 - lt / len), to: 1 });
    }
  }
  return parts;
}
