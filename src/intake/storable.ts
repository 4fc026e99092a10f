/**
 * What the database refuses, checked before a record reaches it: PostgreSQL text cannot hold a NUL
 * character (U+0000), and some columns have a length limit. A parser runs these checks on what it
 * read, so a refused value is reported with its field and row like any other problem, and the rest
 * of the file is kept.
 */
import type { FieldProblem, IntakeRecord } from './types.js';

/** The longest values the database stores, in characters (its CHECK constraints). */
export const STORED_LIMITS = {
  /** source_record.source_record_id, the id a record is known by in its system. */
  recordId: 200,
  /** source_record.source_system. */
  sourceSystem: 200,
  /** event.summary. */
  summary: 500,
  /** agency_code_mapping.agency_code. */
  agencyCode: 80,
} as const;

/** The reason given for a value holding a NUL character. */
export const NUL_REASON = 'contains a NUL character (U+0000), which cannot be stored: remove it and send the record again';

/** The reason given for a value over a stored limit. */
export const tooLong = (limit: number) => `is longer than ${limit} characters, the most that can be stored`;

/** Characters as the database counts them (code points, not UTF-16 units). */
export function storedLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function limitOf(path: string): number | null {
  if (path === 'recordId' || /(^|\.)person\.recordId$/.test(path)) return STORED_LIMITS.recordId;
  if (path === 'sourceSystem') return STORED_LIMITS.sourceSystem;
  if (path === 'event.summary') return STORED_LIMITS.summary;
  if (path === 'event.agencyCode') return STORED_LIMITS.agencyCode;
  return null;
}

/**
 * Every string in a parsed value that holds a NUL character, named by its path. Values nested
 * deeper than `maxDepth` are not looked into (the caller's schema has already fixed the shape).
 */
export function nulProblems(value: unknown, path = '', maxDepth = 8): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const walk = (v: unknown, at: string, depth: number): void => {
    if (typeof v === 'string') {
      if (v.includes('\u0000')) problems.push({ field: at || '(value)', reason: NUL_REASON });
      return;
    }
    if (!v || typeof v !== 'object' || depth >= maxDepth) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, at ? `${at}.${i}` : String(i), depth + 1));
    else for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k, depth + 1);
  };
  walk(value, path, 0);
  return problems;
}

/** Text safe to store and show: any NUL character written as "\\0". */
export function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\\0') : text;
}

/**
 * Every value of a normalised record the database would refuse, named by its path in the record
 * (`event.summary`, `otherPeople.0.person.familyName`). A record is a fixed, shallow shape, so the
 * walk is bounded.
 */
export function storableProblems(record: IntakeRecord): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const walk = (value: unknown, path: string, depth: number): void => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) problems.push({ field: path, reason: NUL_REASON });
      else {
        const limit = limitOf(path);
        if (limit !== null && storedLength(value) > limit) problems.push({ field: path, reason: tooLong(limit) });
      }
      return;
    }
    if (!value || typeof value !== 'object' || depth > 6) return;
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}.${i}`, depth + 1));
    else for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(record, '', 0);
  return problems;
}
