declare module 'tiny-osmpbf' {
  interface OsmElement {
    type: 'node' | 'way' | 'relation';
    id: number;
    lat?: number;
    lon?: number;
    tags?: Record<string, string>;
    nodes?: number[];
    members?: { type: string; ref: number; role: string }[];
  }
  function tinyosmpbf(data: Uint8Array): { elements: OsmElement[] };
  export default tinyosmpbf;
}
