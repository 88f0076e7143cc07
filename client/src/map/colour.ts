/** An RGBA colour, 0–255 each, as deck.gl takes it. */
export type RGBA = [number, number, number, number];

/** `#rrggbb` (the data files' colours) as RGBA with the given alpha; null when it is not such a colour. */
export function hexToRgba(hex: string | undefined, alpha = 255): RGBA | null {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex ?? '');
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), alpha] : null;
}
