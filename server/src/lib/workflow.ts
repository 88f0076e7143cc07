/**
 * The machinery shared by the declarative workflow tables (whistles, clearance operations):
 * each table lists, per action, the states it starts from, where it leads, who may take it and
 * the columns it sets; this module turns `who` into a yes/no and `sets` into the SET list of
 * the one UPDATE, so neither rule is restated per domain.
 */

/**
 * A value a column is set to: `now` (the server's time), a named parameter the service
 * passes, or one of a few fixed SQL expressions the domain names. Column names and
 * expressions come only from a table in code, never from a request.
 */
export type SetValue<E extends string = string> = { now: true } | { param: string } | { expr: E };

/** Who takes an action: a commander within its subdistrict, a responder for its own department, or the product's own sweep. */
export type WorkflowActor = 'commander' | 'responder' | 'system';

/** Whether a role may take an action whose table row says `who`: an admin may act as any person, never as the system. */
export function roleMayTake(role: string, who: readonly string[]): boolean {
  if (role === 'admin') return !who.every((w) => w === 'system');
  return who.includes(role);
}

/**
 * The SET list of an action's UPDATE and its parameter order: `col = now()`, `col = $n`
 * (named parameters numbered after `offset`), or a fixed expression from `expressions`.
 */
export function buildSetClause<E extends string>(sets: Readonly<Record<string, SetValue<E>>>, offset: number, expressions: Readonly<Record<E, string>>): { sql: string; params: string[] } {
  const params: string[] = [];
  const parts = Object.entries(sets).map(([col, v]) => {
    if ('now' in v) return `${col} = now()`;
    if ('expr' in v) return `${col} = ${expressions[v.expr]}`;
    params.push(v.param);
    return `${col} = $${offset + params.length}`;
  });
  return { sql: parts.join(', '), params };
}

/** The values of the named parameters, in order; a missing one is a programming error, said so. */
export function setParams(values: Record<string, unknown>, names: readonly string[], workflow: string): unknown[] {
  return names.map((name) => {
    if (!(name in values)) throw new Error(`the ${workflow} workflow needs the value "${name}"`);
    return values[name];
  });
}
