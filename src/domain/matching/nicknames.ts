import { readFileSync } from 'node:fs';
import { normaliseName } from './strings.js';

// The table is data, versioned beside the model, so a partnership can extend it without code changes.
const TABLE = JSON.parse(readFileSync(new URL('./nicknames.v1.json', import.meta.url), 'utf8')) as { version: string; groups: string[][] };

const GROUPS_OF = new Map<string, Set<number>>();
TABLE.groups.forEach((group, index) => {
  for (const name of group) {
    const set = GROUPS_OF.get(name) ?? new Set<number>();
    set.add(index);
    GROUPS_OF.set(name, set);
  }
});

/** The version of the nickname table in use. */
export const NICKNAME_TABLE_VERSION = TABLE.version;

/** True when two given names are known forms of one another ("Bill" and "William"), in either order. */
export function areNicknames(a: string | null, b: string | null): boolean {
  const x = normaliseName(a);
  const y = normaliseName(b);
  if (!x || !y || x === y) return false;
  const gx = GROUPS_OF.get(x);
  const gy = GROUPS_OF.get(y);
  if (!gx || !gy) return false;
  for (const g of gx) if (gy.has(g)) return true;
  return false;
}
