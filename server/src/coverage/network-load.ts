import type pg from 'pg';
import { buildGraph } from './graph.ts';
import { buildEdgeShapes, projectionAt } from './isochrone.ts';
import { buildingsByEdge, type Anchor, type CityModel } from './model.ts';
import * as repo from './repository.ts';

/** Reports which step of the load is running: `done` of `total` steps. */
export type LoadProgress = (stage: string, done: number, total: number) => void;

export const LOAD_STEPS = 3;

/**
 * Loads the walking network, buildings (snapped to their street in SQL) and units into the
 * compact arrays of a model, without facilities. The heavy part of a model load: run in a
 * worker thread by the service (`model-worker.ts`), so the server's event loop keeps serving.
 * Everything it returns is plain data (typed arrays, Maps), which a worker posts back as is.
 */
export async function loadNetworkModel(db: pg.Pool, version: number, limit: number, progress: LoadProgress = () => {}): Promise<CityModel> {
  progress('reading the network, buildings and units', 0, LOAD_STEPS);
  const [nodes, edges, buildings, units] = await Promise.all([
    repo.loadNodes(db),
    repo.loadEdges(db),
    repo.loadBuildings(db, limit),
    repo.loadUnits(db),
  ]);
  progress('building the graph', 1, LOAD_STEPS);
  const graph = buildGraph(
    nodes.map((n) => n.id),
    edges,
  );
  const nodeLon = Float64Array.from(nodes, (n) => n.lon);
  const nodeLat = Float64Array.from(nodes, (n) => n.lat);
  const byId = new Map(edges.map((e) => [e.id, e]));
  const edgeIndex = new Map<number, number>();
  graph.edgeIds.forEach((id, k) => edgeIndex.set(id, k));
  const reversed = new Uint8Array(graph.edgeIds.length);
  const lines = Array.from(graph.edgeIds, (id, k) => {
    const e = byId.get(id)!;
    const s = graph.indexOf.get(e.source)!;
    const first = e.coordinates[0]!;
    const last = e.coordinates.at(-1)!;
    // Stored lines may run either way; fractions along an edge are measured from its source node.
    const d = (p: [number, number], i: number) => Math.hypot(p[0] - nodeLon[i]!, p[1] - nodeLat[i]!);
    if (d(first, s) <= d(last, s)) return e.coordinates;
    reversed[k] = 1;
    return [...e.coordinates].reverse();
  });
  progress('anchoring buildings', 2, LOAD_STEPS);
  const anchors = buildings.map((b) => anchorOf(edgeIndex, reversed, b.snap));
  const mid = (a: Float64Array, fallback: number) => (a.length ? (a.reduce((m, x) => Math.min(m, x), Infinity) + a.reduce((m, x) => Math.max(m, x), -Infinity)) / 2 : fallback);
  const lonMid = mid(nodeLon, 116.37);
  const latMid = mid(nodeLat, 39.91);
  return {
    version,
    graph,
    nodeLon,
    nodeLat,
    shapes: buildEdgeShapes(projectionAt(lonMid, latMid), lines),
    edgeIndex,
    reversed,
    ...buildingsByEdge(graph.edgeIds.length, Int32Array.from(anchors, (a) => a.edge)),
    buildings: {
      id: Int32Array.from(buildings, (b) => b.id),
      population: Float64Array.from(buildings, (b) => b.population),
      edge: Int32Array.from(anchors, (a) => a.edge),
      frac: Float64Array.from(anchors, (a) => a.frac),
      snap: Float64Array.from(anchors, (a) => a.snap),
      grid: Int32Array.from(buildings, (b) => b.grid_id ?? 0),
      community: Int32Array.from(buildings, (b) => b.community_id ?? 0),
      subdistrict: Int32Array.from(buildings, (b) => b.subdistrict_id ?? 0),
      lon: Float64Array.from(buildings, (b) => b.lon),
      lat: Float64Array.from(buildings, (b) => b.lat),
    },
    facilities: [],
    units: new Map(units.map((u) => [u.id, u])),
    districtNodes: Uint8Array.from(nodes, (n) => (n.in_district ? 1 : 0)),
    snapLimit: limit,
  };
}

/** A snap from SQL as an anchor on the model's edges (fraction from the edge's source node). */
export function anchorOf(edgeIndex: Map<number, number>, reversed: Uint8Array, snap: repo.Snap): Anchor {
  const k = snap.edge_id === null ? undefined : edgeIndex.get(snap.edge_id);
  if (k === undefined || snap.frac === null || snap.snap_m === null) return { edge: -1, frac: 0, snap: Infinity };
  return { edge: k, frac: reversed[k] ? 1 - snap.frac : snap.frac, snap: snap.snap_m };
}
