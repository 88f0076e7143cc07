/** One feature that could not be imported, by its position in the file. */
export interface ImportIssue {
  /** 0-based index of the feature (GeoJSON) or element (OSM) in the file */
  index: number;
  /** OSM element id, where there is one */
  id?: string;
  reason: string;
}

/** The file cannot be imported as it is; nothing was written. */
export class ImportError extends Error {
  constructor(readonly reason: string, readonly issues: ImportIssue[] = []) {
    super(issues.length ? `${reason}\n${issues.slice(0, 20).map(describeIssue).join('\n')}${issues.length > 20 ? `\n… and ${issues.length - 20} more` : ''}` : reason);
  }

  /** The same error, prefixed with the file and format it is about. */
  about(prefix: string): ImportError {
    return this.reason.startsWith(prefix) ? this : new ImportError(`${prefix}${this.reason}`, this.issues);
  }
}

export const describeIssue = (i: ImportIssue) => `  feature ${i.index}${i.id ? ` (${i.id})` : ''}: ${i.reason}`;

/** Line and column (1-based) of a byte-free character offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}
