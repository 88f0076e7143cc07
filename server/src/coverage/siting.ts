import { reach, type WalkGraph } from './graph.ts';

export interface SitingInput {
  graph: WalkGraph;
  /** Per building: its edge index (−1 off the network), fraction along it, snap metres, population. */
  buildingEdge: Int32Array;
  buildingFrac: Float64Array;
  buildingSnap: Float64Array;
  buildingPopulation: Float64Array;
  /** 1 for buildings the existing facilities already cover. */
  covered: Uint8Array;
  /** 1 for node indexes where a new facility may go. */
  candidates: Uint8Array;
  budget: number;
  count: number;
  /** Called now and then with the work done so far; awaited, so the caller can yield. */
  progress?: (done: number, total: number) => Promise<void> | void;
}

export interface ProposedSite {
  /** Node index of the proposed site. */
  node: number;
  /** Population newly covered by this site, given the sites ranked before it. */
  added_population: number;
  added_buildings: number;
  /** Population newly covered by this and every earlier site. */
  cumulative_population: number;
}

/** The candidates within reach of one edge's ends, with their distance to each end. */
interface EdgeReach {
  cand: Int32Array;
  du: Float64Array;
  dv: Float64Array;
}

/**
 * Greedy maximum coverage: repeatedly pick the candidate node that newly covers the most
 * population not covered yet. Greedy is not optimal, but it is within (1 − 1/e) of the best
 * N sites and each step is explainable ("this site adds the most people").
 *
 * Walking is symmetric, so the candidates that could cover an uncovered building are the nodes
 * within the budget of its edge's two ends; one bounded search per end node of an uncovered
 * building's edge gives every candidate's gain at once, with no search per candidate.
 */
export async function greedySiting(input: SitingInput): Promise<ProposedSite[]> {
  const { graph, buildingEdge, buildingFrac, buildingSnap, buildingPopulation, covered, candidates, budget } = input;
  const n = graph.nodeIds.length;
  // Uncovered, inhabited buildings that some facility could cover, grouped by their edge.
  const byEdge = new Map<number, number[]>();
  for (let i = 0; i < buildingEdge.length; i++) {
    const e = buildingEdge[i]!;
    if (covered[i] || e < 0 || buildingSnap[i]! > budget || buildingPopulation[i]! <= 0) continue;
    let list = byEdge.get(e);
    if (!list) byEdge.set(e, (list = []));
    list.push(i);
  }
  const gapEdges = [...byEdge.keys()].sort((a, b) => a - b);
  const total = gapEdges.length;
  const dist = (b: number, len: number, du: number, dv: number) => Math.min(du + buildingFrac[b]! * len, dv + (1 - buildingFrac[b]!) * len) + buildingSnap[b]!;

  // One search per end node, shared by every gap edge that ends there.
  const searches = new Map<number, { nodes: Int32Array; dist: Float64Array }>();
  const searchFrom = (v: number) => {
    let s = searches.get(v);
    if (!s) {
      const r = reach(graph, [{ node: v, offset: 0 }], budget);
      s = { nodes: r.settled, dist: Float64Array.from(r.settled, (x) => r.dist[x]!) };
      searches.set(v, s);
    }
    return s;
  };
  const gain = new Float64Array(n);
  const reachOf: EdgeReach[] = [];
  const scratchU = new Float64Array(n).fill(Infinity);
  const scratchV = new Float64Array(n).fill(Infinity);
  let lastYield = Date.now();
  for (let g = 0; g < total; g++) {
    const e = gapEdges[g]!;
    const len = graph.edgeLen[e]!;
    const su = searchFrom(graph.edgeSource[e]!);
    const sv = searchFrom(graph.edgeTarget[e]!);
    for (let k = 0; k < su.nodes.length; k++) scratchU[su.nodes[k]!] = su.dist[k]!;
    for (let k = 0; k < sv.nodes.length; k++) scratchV[sv.nodes[k]!] = sv.dist[k]!;
    const cand: number[] = [];
    const du: number[] = [];
    const dv: number[] = [];
    for (const c of su.nodes) {
      if (!candidates[c]) continue;
      cand.push(c);
      du.push(scratchU[c]!);
      dv.push(scratchV[c]!);
    }
    for (const c of sv.nodes) {
      if (!candidates[c] || scratchU[c] !== Infinity) continue;
      cand.push(c);
      du.push(Infinity);
      dv.push(scratchV[c]!);
    }
    for (const c of su.nodes) scratchU[c] = Infinity;
    for (const c of sv.nodes) scratchV[c] = Infinity;
    const er: EdgeReach = { cand: Int32Array.from(cand), du: Float64Array.from(du), dv: Float64Array.from(dv) };
    reachOf.push(er);
    for (const b of byEdge.get(e)!) {
      for (let j = 0; j < er.cand.length; j++) if (dist(b, len, er.du[j]!, er.dv[j]!) <= budget) gain[er.cand[j]!] = gain[er.cand[j]!]! + buildingPopulation[b]!;
    }
    if (Date.now() - lastYield > 15) {
      await input.progress?.(g + 1, total + input.count);
      lastYield = Date.now();
    }
  }
  // Which gap edges (and where in their lists) each candidate appears in, for the updates.
  const invStart = new Int32Array(n + 1);
  for (const er of reachOf) for (const c of er.cand) invStart[c + 1]!++;
  for (let c = 0; c < n; c++) invStart[c + 1] = invStart[c + 1]! + invStart[c]!;
  const invEdge = new Int32Array(invStart[n]!);
  const invPos = new Int32Array(invStart[n]!);
  const fill = invStart.slice(0, n);
  reachOf.forEach((er, g) => {
    er.cand.forEach((c, j) => {
      const p = fill[c]!++;
      invEdge[p] = g;
      invPos[p] = j;
    });
  });

  const done = new Uint8Array(buildingEdge.length);
  const sites: ProposedSite[] = [];
  let cumulative = 0;
  for (let s = 0; s < input.count; s++) {
    let best = -1;
    let bestGain = 0;
    for (let c = 0; c < n; c++) {
      if (gain[c]! > bestGain) {
        best = c;
        bestGain = gain[c]!;
      }
    }
    if (best < 0) break;
    let addedPop = 0;
    let addedBld = 0;
    for (let p = invStart[best]!; p < invStart[best + 1]!; p++) {
      const g = invEdge[p]!;
      const j = invPos[p]!;
      const er = reachOf[g]!;
      const e = gapEdges[g]!;
      const len = graph.edgeLen[e]!;
      for (const b of byEdge.get(e)!) {
        if (done[b] || dist(b, len, er.du[j]!, er.dv[j]!) > budget) continue;
        done[b] = 1;
        addedPop += buildingPopulation[b]!;
        addedBld++;
        // This building no longer counts for any candidate that would have covered it.
        for (let k = 0; k < er.cand.length; k++) if (dist(b, len, er.du[k]!, er.dv[k]!) <= budget) gain[er.cand[k]!] = gain[er.cand[k]!]! - buildingPopulation[b]!;
      }
    }
    cumulative += addedPop;
    sites.push({ node: best, added_population: addedPop, added_buildings: addedBld, cumulative_population: cumulative });
    gain[best] = 0;
    await input.progress?.(total + s + 1, total + input.count);
  }
  return sites;
}
