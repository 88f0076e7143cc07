/**
 * A deliberately plain shortest-path search, written apart from the server's: adjacency in a
 * Map of arrays, the nearest unsettled node found by scanning. Slow, obviously right, and
 * sharing no code with server/src/coverage, so agreeing with it means something.
 */
export interface PlainEdge {
  id?: number;
  source: number;
  target: number;
  length: number;
}

/** Distances (metres) from the nearest source to every node within `budget`, by database id. */
export function plainDijkstra(edges: readonly PlainEdge[], sources: ReadonlyMap<number, number>, budget: number): Map<number, number> {
  const adj = new Map<number, Array<[number, number]>>();
  for (const e of edges) {
    if (!adj.has(e.source)) adj.set(e.source, []);
    if (!adj.has(e.target)) adj.set(e.target, []);
    adj.get(e.source)!.push([e.target, e.length]);
    adj.get(e.target)!.push([e.source, e.length]);
  }
  const tentative = new Map<number, number>();
  for (const [node, offset] of sources) if (offset <= budget && offset < (tentative.get(node) ?? Infinity)) tentative.set(node, offset);
  const final = new Map<number, number>();
  while (tentative.size > 0) {
    let best = -1;
    let bestD = Infinity;
    for (const [node, d] of tentative) if (d < bestD) [best, bestD] = [node, d];
    tentative.delete(best);
    final.set(best, bestD);
    for (const [next, len] of adj.get(best) ?? []) {
      if (final.has(next)) continue;
      const d = bestD + len;
      if (d <= budget && d < (tentative.get(next) ?? Infinity)) tentative.set(next, d);
    }
  }
  return final;
}
