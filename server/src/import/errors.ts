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
  constructor(message: string, readonly issues: ImportIssue[] = []) {
    super(issues.length ? `${message}\n${issues.slice(0, 20).map(describeIssue).join('\n')}${issues.length > 20 ? `\n… and ${issues.length - 20} more` : ''}` : message);
  }
}

export const describeIssue = (i: ImportIssue) => `  feature ${i.index}${i.id ? ` (${i.id})` : ''}: ${i.reason}`;
