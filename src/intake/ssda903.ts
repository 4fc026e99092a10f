/**
 * The SSDA903 looked-after children return: CSV tables keyed by the child's LA id (CHILD). The header
 * table says who each child is; episodes, missing, UASC and reviews rows refer to it. Read the header
 * first (the pipeline orders the files) so every other row carries the child's date of birth and sex;
 * a row whose child is in no header table of this batch is accepted only if that header was imported
 * before. Dates are DD/MM/YYYY; a date of birth known only to its month or year may be MM/YYYY or YYYY.
 * A DOB that cannot be read is left out with a warning naming the column, and the row is kept.
 */
import { isEthnicityCode } from '../domain/ethnicity.js';
import { isValidUpn } from '../domain/identifiers.js';
import { readCsv } from './csv.js';
import { beforeBirth, parseUkDate, parseUkDateOfBirth } from './dates.js';
import { encodingProblem, REPLACEMENT } from './decode.js';
import { dfeSex, EPISODE_REASONS, labelled, MISSING_KINDS } from './dfe-codes.js';
import { NUL_REASON, storedLength } from './storable.js';
import { blankPerson, IntakeFileError, rejected, type FieldProblem, type IncomingPersonData, type IntakeItem, type IntakeRecord } from './types.js';

/** The SSDA903 tables this importer reads, identified by their columns. */
export const SSDA903_TABLES: Record<string, string[]> = {
  header: ['CHILD', 'SEX', 'DOB', 'ETHNIC', 'UPN', 'MOTHER', 'MC_DOB'],
  episodes: ['CHILD', 'DECOM', 'RNE', 'LS', 'CIN', 'PLACE', 'PLACE_PROVIDER', 'DEC', 'REC', 'REASON_PLACE_CHANGE', 'HOME_POST', 'PL_POST', 'URN'],
  missing: ['CHILD', 'DOB', 'MISSING', 'MIS_START', 'MIS_END'],
  uasc: ['CHILD', 'SEX', 'DOB', 'DUC'],
  reviews: ['CHILD', 'DOB', 'REVIEW', 'REVIEW_CODE'],
};

/** The longest CHILD id accepted: the record ids built from it (with dates) must fit what is stored. */
export const MAX_CHILD_ID = 100;

/** SSDA903 review participation codes: PN0 to PN7. */
const REVIEW_PARTICIPATION_CODE = /^PN[0-7]$/;

/** Which table a header row belongs to (every listed column present), or null. */
export function ssda903TableOf(columns: string[]): string | null {
  const set = new Set(columns.map((c) => c.trim().toUpperCase()));
  for (const [table, cols] of Object.entries(SSDA903_TABLES)) if (cols.every((c) => set.has(c))) return table;
  return null;
}

/** State shared across the tables of one return: the children its header table described, and the reviews read so far. */
export interface Ssda903Context {
  sourceSystem: string;
  people: Map<string, IncomingPersonData>;
  /** Child and review date → the line and participation code of the first review row read for them. */
  reviews: Map<string, { line: number; code: string }>;
}

/** A fresh context for one batch. */
export function newSsda903Context(sourceSystem = 'SSDA903'): Ssda903Context {
  return { sourceSystem, people: new Map(), reviews: new Map() };
}

type Row = Record<string, string>;

/**
 * Reads a row's DOB into the person at its precision (DD/MM/YYYY, or MM/YYYY or YYYY when only the month or
 * year is known). One that cannot be read is a typing error in one field: left out, with a warning.
 */
function readDob(value: string, person: IncomingPersonData, warnings: FieldProblem[]): void {
  const d = parseUkDateOfBirth(value);
  if (!d.ok) {
    warnings.push({ field: 'DOB', reason: `${d.reason}, so it was left out` });
    return;
  }
  person.dateOfBirth = d.date;
  if (d.precision !== 'day') person.dateOfBirthPrecision = d.precision;
}

function personFor(ctx: Ssda903Context, row: Row, warnings: FieldProblem[]): { person: IncomingPersonData; known: boolean } {
  const known = ctx.people.get(row.CHILD!);
  if (known) return { person: known, known: true };
  const person = blankPerson(row.CHILD!);
  if (row.DOB) readDob(row.DOB, person, warnings);
  if (row.SEX) person.sex = dfeSex(row.SEX);
  return { person, known: false };
}

function headerItem(ctx: Ssda903Context, row: Row, line: number): IntakeItem {
  const recordId = `child/${row.CHILD}`;
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const person = blankPerson(row.CHILD!);
  if (row.DOB) readDob(row.DOB, person, warnings);
  else warnings.push({ field: 'DOB', reason: 'is missing, so it was left out' });
  person.sex = dfeSex(row.SEX ?? null);
  if (row.ETHNIC && isEthnicityCode(row.ETHNIC)) person.ethnicity = row.ETHNIC;
  else if (row.ETHNIC) warnings.push({ field: 'ETHNIC', reason: 'is not a DfE ethnicity code, so it was not used' });
  if (row.UPN && !/^UN\d$/.test(row.UPN)) {
    if (isValidUpn(row.UPN)) person.identifiers.push({ scheme: 'upn', value: row.UPN.toUpperCase() });
    else warnings.push({ field: 'UPN', reason: 'is not a valid UPN (13 characters with a correct check letter), so it was not used' });
  }
  if (errors.length) return rejected('header', line, recordId, errors);
  ctx.people.set(row.CHILD!, person);
  return { table: 'header', row: line, recordId, errors, warnings, record: { organisationId: null, sourceSystem: ctx.sourceSystem, recordId, person, role: 'subject', event: null, otherPeople: [] } };
}

function eventItem(
  ctx: Ssda903Context, table: string, row: Row, line: number, recordId: string, dateField: string,
  event: { code: string | null; agencyCode?: string; summary: string; narrative: string[] },
): IntakeItem {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const { person, known } = personFor(ctx, row, warnings);
  const raw = row[dateField] ?? '';
  const d = parseUkDate(raw);
  if (!d.ok) errors.push({ field: dateField, reason: raw ? d.reason : 'is missing' });
  else if (beforeBirth(d.date, person.dateOfBirth)) errors.push({ field: dateField, reason: "is more than a year before the child's date of birth" });
  if (errors.length || !d.ok) return rejected(table, line, recordId, errors);
  const record: IntakeRecord = {
    organisationId: null, sourceSystem: ctx.sourceSystem, recordId, person, role: 'subject', otherPeople: [],
    event: {
      code: event.code, agencyCode: event.agencyCode ?? null, occurredAt: `${d.date}T00:00:00.000Z`, precision: 'date', summary: event.summary,
      narrative: event.narrative.filter(Boolean).join('\n') || null, place: null, factorCodes: [], sensitivity: 'standard', reliability: 'confirmed', grading: null,
    },
    ...(known ? {} : { requiresKnownPerson: `child/${row.CHILD}` }),
  };
  return { table, row: line, recordId, errors: [], warnings, record };
}

function* rowItems(ctx: Ssda903Context, table: string, row: Row, line: number): Generator<IntakeItem> {
  const child = row.CHILD!;
  switch (table) {
    case 'header':
      yield headerItem(ctx, row, line);
      return;
    case 'episodes': {
      const rne = row.RNE ?? '';
      const reason = labelled(rne, EPISODE_REASONS);
      const narrative = [`Reason for new episode: ${reason ?? 'not given'}`, row.LS ? `Legal status: ${row.LS}` : '', row.PLACE ? `Placement type: ${row.PLACE}` : '',
        row.PLACE_PROVIDER ? `Placement provider: ${row.PLACE_PROVIDER}` : '', row.CIN ? `Category of need: ${row.CIN}` : '', row.URN ? `Ofsted URN: ${row.URN}` : ''];
      const id = `${child}/episode/${row.DECOM}`;
      if (rne === 'S') yield eventItem(ctx, table, row, line, id, 'DECOM', { code: 'became_looked_after', summary: 'Started to be looked after', narrative });
      else if (['P', 'T', 'B', 'U'].includes(rne)) yield eventItem(ctx, table, row, line, id, 'DECOM', { code: 'placement_move', summary: `Placement changed (${EPISODE_REASONS[rne]})`, narrative });
      // The vocabulary has no event type for a change of legal status alone: the organisation maps it in its code table.
      else if (rne === 'L') yield eventItem(ctx, table, row, line, id, 'DECOM', { code: null, agencyCode: 'SSDA903 RNE L', summary: 'Legal status changed (placement unchanged)', narrative });
      else yield rejected(table, line, id, [{ field: 'RNE', reason: rne ? 'is not an SSDA903 reason for new episode (S, L, P, T, B or U)' : 'is missing' }]);
      if (row.DEC && row.REC && row.REC !== 'X1') {
        yield eventItem(ctx, 'episode_ends', row, line, `${child}/episode/${row.DECOM}/ceased`, 'DEC', {
          code: 'ceased_looked_after', summary: 'Ceased to be looked after', narrative: [`Reason episode ceased: ${row.REC}`],
        });
      }
      return;
    }
    case 'missing':
      yield eventItem(ctx, table, row, line, `${child}/missing/${row.MIS_START}`, 'MIS_START', {
        code: 'missing_episode', summary: row.MISSING === 'A' ? 'Away from placement without authorisation' : 'Missing from placement',
        narrative: [`Kind: ${labelled(row.MISSING ?? null, MISSING_KINDS) ?? 'not given'}`, row.MIS_END ? `Returned: ${row.MIS_END}` : 'Return date not recorded'],
      });
      return;
    case 'reviews': {
      // The participation code says how the child took part in the review. Its DfE labels are not
      // held here, so the code is kept as given; one not of the PNn form is kept with a warning.
      const code = row.REVIEW_CODE ?? '';
      const item = eventItem(ctx, table, row, line, `${child}/review/${row.REVIEW}`, 'REVIEW', {
        code: 'looked_after_review', summary: 'Looked-after child review',
        narrative: [code ? `Participation code (SSDA903 REVIEW_CODE): ${code}` : 'Participation code (SSDA903 REVIEW_CODE): not given'],
      });
      if (!item.record) {
        yield item;
        return;
      }
      // A review is identified by its child and date. Two rows for one review that disagree on the
      // participation code cannot both stand, and storing the second as a correction would make every
      // re-import flip between them: the first is kept and the second refused, so the return can be fixed.
      const key = `${child}\u0000${item.record.event!.occurredAt}`;
      const first = ctx.reviews.get(key);
      if (first && first.code !== code) {
        yield rejected(table, line, item.recordId, [{
          field: 'REVIEW_CODE',
          reason: `has the same child and review date as line ${first.line} but a different participation code, so it was not imported: correct the return and import it again`,
        }]);
        return;
      }
      if (!first) ctx.reviews.set(key, { line, code });
      if (code && !REVIEW_PARTICIPATION_CODE.test(code)) {
        item.warnings.push({ field: 'REVIEW_CODE', reason: 'is not an SSDA903 participation code (PN0 to PN7); it is kept in the narrative as given' });
      }
      yield item;
      return;
    }
    case 'uasc': {
      // UASC status has no event type in the vocabulary; the row still confirms who the child is.
      const warnings: FieldProblem[] = [];
      const { person, known } = personFor(ctx, row, warnings);
      const recordId = `${child}/uasc`;
      yield {
        table, row: line, recordId, errors: [],
        warnings: [...warnings, { field: 'DUC', reason: 'the date UASC status ceases is not stored: the vocabulary has no event type for UASC status' }],
        record: { organisationId: null, sourceSystem: ctx.sourceSystem, recordId, person, role: 'subject', event: null, otherPeople: [], ...(known ? {} : { requiresKnownPerson: `child/${child}` }) },
      };
      return;
    }
  }
}

/** Reads one SSDA903 table (recognised by its header row) into items; call with the header table first. */
export async function* parseSsda903Table(text: AsyncIterable<string>, ctx: Ssda903Context, encoding = 'utf-8'): AsyncGenerator<IntakeItem> {
  let columns: string[] | null = null;
  let table: string | null = null;
  for await (const rec of readCsv(text)) {
    if (!columns) {
      columns = rec.fields.map((f) => f.trim().toUpperCase());
      table = ssda903TableOf(columns);
      if (!table) throw new IntakeFileError('unknown_table', `The CSV's columns do not match an SSDA903 table (header, episodes, missing, uasc, reviews): it starts ${columns.slice(0, 4).join(',')}`);
      continue;
    }
    const t = table!;
    if (rec.unterminatedQuote) {
      yield rejected(t, rec.line, null, [{ field: '(row)', reason: 'is incomplete: the file ends inside a quoted value, so it may have been cut off during upload' }]);
      continue;
    }
    if (rec.fields.some((f) => f.includes(REPLACEMENT))) {
      yield rejected(t, rec.line, null, [{ field: '(encoding)', reason: encodingProblem(encoding) }]);
      continue;
    }
    if (rec.fields.length !== columns.length) {
      yield rejected(t, rec.line, null, [{ field: '(row)', reason: `has ${rec.fields.length} values but the header has ${columns.length} columns${rec.fields.length < columns.length ? ' (the row may have been cut off)' : ''}` }]);
      continue;
    }
    // The database cannot store a NUL character: name the column that holds one.
    const nulAt = rec.fields.findIndex((f) => f.includes('\u0000'));
    if (nulAt >= 0) {
      yield rejected(t, rec.line, null, [{ field: columns[nulAt]!, reason: NUL_REASON }]);
      continue;
    }
    const row: Row = Object.fromEntries(columns.map((c, i) => [c, rec.fields[i]!.trim()]));
    if (!row.CHILD) {
      yield rejected(t, rec.line, null, [{ field: 'CHILD', reason: 'is missing: every row needs the child\'s LA id' }]);
      continue;
    }
    if (storedLength(row.CHILD) > MAX_CHILD_ID) {
      yield rejected(t, rec.line, null, [{ field: 'CHILD', reason: `is longer than ${MAX_CHILD_ID} characters, so the records built from it cannot be stored` }]);
      continue;
    }
    yield* rowItems(ctx, t, row, rec.line);
  }
  if (!columns) throw new IntakeFileError('empty_file', 'The CSV file has no header row');
}
