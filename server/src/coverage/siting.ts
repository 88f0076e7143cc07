import { reach, type WalkGraph } from './graph.ts';

export interface SitingInput {
  graph: WalkGraph;
  /** Per building: nearest node index (−1 none), snap metres, population. */
  buildingNode: Int32Array;
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

/**
 * Greedy maximum coverage: repeatedly pick the candidate node that newly covers the most
 * population not covered yet. Greedy is not optimal, but it is within (1 − 1/e) of the best
 * N sites and each step is explainable ("this site adds the most people").
 *
 * Because walking is symmetric, the candidates that could cover an uncovered building are the
 * nodes within its remaining budget of the building's node; one bounded search per uncovered
 * node gives every candidate's gain at once, with no search per candidate.
 */
export async function greedySiting(input: SitingInput): Promise<ProposedSite[]> {
  const { graph, buildingNode, buildingSnap, buildingPopulation, covered, candidates, budget } = input;
  const n = graph.nodeIds.length;
  // Uncovered buildings that a facility somewhere could cover, grouped by their node.
  const byNode = new Map<number, number[]>();
  for (let i = 0; i < buildingNode.length; i++) {
    const v = buildingNode[i]!;
    if (covered[i] || v < 0 || buildingSnap[i]! > budget || buildingPopulation[i]! <= 0) continue;
    let list = byNode.get(v);
    if (!list) byNode.set(v, (list = []));
    list.push(i);
  }
  const gapNodes = [...byNode.keys()].sort((a, b) => a - b);
  const gain = new Float64Array(n);
  // For each gap node: the candidates within reach and their distance (for the updates below).
  const candList: Int32Array[] = [];
  const candDist: Float64Array[] = [];
  const total = gapNodes.length;
  let lastYield = Date.now();
  for (let g = 0; g < total; g++) {
    const v = gapNodes[g]!;
    const blds = byNode.get(v)!;
    let minSnap = Infinity;
    for (const b of blds) minSnap = Math.min(minSnap, buildingSnap[b]!);
    const r = reach(graph, [{ node: v, offset: 0 }], budget - minSnap);
    const cs: number[] = [];
    const ds: number[] = [];
    for (let k = 0; k < r.settled.length; k++) {
      const c = r.settled[k]!;
      if (!candidates[c]) continue;
      const d = r.dist[c]!;
      cs.push(c);
      ds.push(d);
      for (const b of blds) if (d + buildingSnap[b]! <= budget) gain[c] = gain[c]! + buildingPopulation[b]!;
    }
    candList.push(Int32Array.from(cs));
    candDist.push(Float64Array.from(ds));
    if (Date.now() - lastYield > 15) {
      await input.progress?.(g + 1, total + input.count);
      lastYield = Date.now();
    }
  }
  const gapIndex = new Map<number, number>();
  gapNodes.forEach((v, i) => gapIndex.set(v, i));
  const done = new Uint8Array(buildingNode.length);
  const sites: ProposedSite[] = [];
  let cumulative = 0;
  for (let s = 0; s < input.count; s++) {
    let best = -1;
    let bestGain = 0;
    for (let c = 0; c < n; c++) {
      if (gain[c]! > bestGain + 1e-9) {
        best = c;
        bestGain = gain[c]!;
      }
    }
    if (best < 0) break;
    const r = reach(graph, [{ node: best, offset: 0 }], budget);
    let addedPop = 0;
    let addedBld = 0;
    for (let k = 0; k < r.settled.length; k++) {
      const v = r.settled[k]!;
      const gi = gapIndex.get(v);
      if (gi === undefined) continue;
      const d = r.dist[v]!;
      const cs = candList[gi]!;
      const ds = candDist[gi]!;
      for (const b of byNode.get(v)!) {
        if (done[b] || d + buildingSnap[b]! > budget) continue;
        done[b] = 1;
        addedPop += buildingPopulation[b]!;
        addedBld++;
        // This building no longer counts for any candidate that would have covered it.
        for (let j = 0; j < cs.length; j++) if (ds[j]! + buildingSnap[b]! <= budget) gain[cs[j]!] = gain[cs[j]!]! - buildingPopulation[b]!;
      }
    }
    cumulative += addedPop;
    sites.push({ node: best, added_population: addedPop, added_buildings: addedBld, cumulative_population: cumulative });
    gain[best] = 0;
    await input.progress?.(total + s + 1, total + input.count);
  }
  return sites;
}
