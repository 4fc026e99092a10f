/**
 * JSON with every object's keys in order, so two values that differ only in key order (a value read back
 * from jsonb, which orders keys its own way, and the same value built in memory) give the same text.
 * Used for content hashes and for comparing a stored value with a new one.
 */
export function canonicalJson(value: unknown, opts: { undefinedAsNull?: boolean } = {}): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, walk((v as Record<string, unknown>)[k])]));
    return v === undefined && opts.undefinedAsNull ? null : v;
  };
  return JSON.stringify(walk(value));
}
