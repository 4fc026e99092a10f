/**
 * The Children in Need census XML (DfE, 2022 and 2024 schemas). Each <Child> is read as a small tree
 * and becomes one item for the child (who they are) and one item per dated fact: referral,
 * assessment started and completed (with factors 1A–24A mapped to the vocabulary), section 47
 * enquiry, child in need plan and child protection plan start and end, and closure. Every
 * item's record id is built from the child's LA id and the fact's date, so the same return
 * imported again changes nothing and a corrected date supersedes the earlier entry.
 *
 * PersonBirthDate is read by `parseDateOfBirth` (YYYY-MM-DD, as the schema's xs:date; a month or year
 * only, YYYY-MM or YYYY, is kept at that precision). An unborn child has ExpectedPersonBirthDate instead:
 * it may be up to a year ahead, is never stored as a date of birth, and the child's facts are checked
 * against it. A birth date that cannot be read is left out with a warning naming the element; the child is kept.
 */
import { loadVocabulary } from '../domain/vocabulary.js';
import { isEthnicityCode } from '../domain/ethnicity.js';
import { isValidUpn } from '../domain/identifiers.js';
import { beforeBirth, parseDateOfBirth, parseIsoDate, todayIso } from './dates.js';
import { encodingProblem, REPLACEMENT } from './decode.js';
import { ABUSE_CATEGORIES, CLOSURE_REASONS, dfeSex, labelled, PRIMARY_NEEDS, REFERRAL_SOURCES } from './dfe-codes.js';
import { NUL_REASON, storableProblems, storedLength } from './storable.js';
import { blankPerson, IntakeFileError, rejected, type FieldProblem, type IncomingPersonData, type IntakeItem, type IntakeRecord } from './types.js';
import { child, children, readXml, textOf, XmlSyntaxError, type XmlElement } from './xml.js';

/** CIN census item tables, in the order the batch report lists them. */
export const CIN_TABLES = ['child', 'referral', 'assessment_started', 'assessment_completed', 'section_47', 'cin_plan_started', 'cin_plan_ended', 'cp_plan_started', 'cp_plan_ended', 'closure'] as const;

function cinFactorMap(): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const f of loadVocabulary('1').factors) for (const c of f.cinFactors) map.set(c, [...(map.get(c) ?? []), f.code]);
  return map;
}

/**
 * How deeply a <Child> may nest elements (the census schema nests five levels at most). The tree of
 * a deeper child is not built: the child is refused with this reason and the rest of the file is read.
 */
export const MAX_CHILD_DEPTH = 16;

/** The longest LAchildID accepted: the record ids built from it (with dates) must fit what is stored. */
export const MAX_LA_CHILD_ID = 100;

/** Every element of a child's tree, depth first (iteratively: the tree is at most MAX_CHILD_DEPTH deep anyway). */
function elementsOf(root: XmlElement): { el: XmlElement; path: string }[] {
  const out: { el: XmlElement; path: string }[] = [];
  const stack: { el: XmlElement; path: string }[] = [{ el: root, path: root.name }];
  while (stack.length) {
    const next = stack.pop()!;
    out.push(next);
    for (let i = next.el.children.length - 1; i >= 0; i--) {
      const c = next.el.children[i]!;
      stack.push({ el: c, path: `${next.path}.${c.name}` });
    }
  }
  return out;
}

/** Where the record fields of a CIN item come from, to name them in a refusal. */
interface CinFieldNames {
  sourceSystem: string;
  summary?: string;
}

function cinField(path: string, names: CinFieldNames): string {
  if (path === 'recordId' || path.endsWith('person.recordId')) return 'LAchildID (with the dates, the record id)';
  if (path === 'sourceSystem') return names.sourceSystem;
  if (path === 'event.summary' && names.summary) return names.summary;
  return path;
}

interface ChildContext {
  names: CinFieldNames;
  childId: string;
  person: IncomingPersonData;
  /** An unborn child's ExpectedPersonBirthDate (when there is no PersonBirthDate), for checking the facts' dates. */
  expectedBirth: string | null;
  sourceSystem: string;
  childRow: number;
  ordinal: number;
}

/** How far ahead an unborn child's expected date of birth may be. */
function aYearFromToday(): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return todayIso(d);
}

function readPerson(el: XmlElement, childId: string, warnings: FieldProblem[], errors: FieldProblem[]): { person: IncomingPersonData; expectedBirth: string | null } {
  const ids = child(el, 'ChildIdentifiers');
  const person = blankPerson(childId);
  let expectedBirth: string | null = null;
  const dob = textOf(ids, 'PersonBirthDate');
  if (dob) {
    const d = parseDateOfBirth(dob);
    if (d.ok) {
      person.dateOfBirth = d.date;
      if (d.precision !== 'day') person.dateOfBirthPrecision = d.precision;
    } else warnings.push({ field: 'PersonBirthDate', reason: `${d.reason}, so it was left out` });
  } else {
    // An unborn child: the expected date of birth, which may be ahead of today, is not a date of birth.
    const expected = textOf(ids, 'ExpectedPersonBirthDate');
    if (expected) {
      const d = parseDateOfBirth(expected, aYearFromToday());
      if (d.ok) expectedBirth = d.date;
      else warnings.push({ field: 'ExpectedPersonBirthDate', reason: `${d.reason === 'is in the future' ? 'is more than a year from now' : d.reason}, so it was left out` });
    }
  }
  person.sex = dfeSex(textOf(ids, 'GenderCurrent') ?? textOf(ids, 'Sex'));
  const ethnicity = textOf(child(el, 'ChildCharacteristics'), 'Ethnicity');
  if (ethnicity && isEthnicityCode(ethnicity)) person.ethnicity = ethnicity;
  else if (ethnicity) warnings.push({ field: 'Ethnicity', reason: 'is not a DfE ethnicity code, so it was not used' });
  for (const field of ['UPN', 'FormerUPN'] as const) {
    const upn = textOf(ids, field);
    if (!upn) continue;
    if (isValidUpn(upn)) person.identifiers.push({ scheme: 'upn', value: upn.toUpperCase() });
    else warnings.push({ field, reason: 'is not a valid UPN (13 characters with a correct check letter), so it was not used' });
  }
  return { person, expectedBirth };
}

function* childItems(el: XmlElement, sourceSystem: string, ordinal: number, factors: Map<string, string[]>, names: CinFieldNames): Generator<IntakeItem> {
  const ref = (more = '') => `Child ${ordinal}${more}`;
  const childId = textOf(child(el, 'ChildIdentifiers'), 'LAchildID');
  const elements = elementsOf(el);
  if (elements.some((e) => e.el.text.includes(REPLACEMENT))) {
    yield rejected('child', el.line, childId, [{ field: '(encoding)', reason: encodingProblem('utf-8') }], ref());
    return;
  }
  // The database cannot store a NUL character: name the element that holds one, and its line.
  const withNul = elements.find((e) => e.el.text.includes('\u0000'));
  if (withNul) {
    yield rejected('child', el.line, childId, [{ field: `${withNul.path} (line ${withNul.el.line})`, reason: NUL_REASON }], ref());
    return;
  }
  if (!childId) {
    yield rejected('child', el.line, null, [{ field: 'LAchildID', reason: 'is missing: every child needs the local authority\'s id' }], ref());
    return;
  }
  if (storedLength(childId) > MAX_LA_CHILD_ID) {
    yield rejected('child', el.line, null, [{ field: 'LAchildID', reason: `is longer than ${MAX_LA_CHILD_ID} characters, so the records built from it cannot be stored` }], ref());
    return;
  }
  const warnings: FieldProblem[] = [];
  const errors: FieldProblem[] = [];
  const { person, expectedBirth } = readPerson(el, childId, warnings, errors);
  const childRecordId = `child/${childId}`;
  const childRecord: IntakeRecord = { organisationId: null, sourceSystem, recordId: childRecordId, person, role: 'subject', event: null, otherPeople: [] };
  // A value the database would refuse (an over-long source system from the header) refuses the child.
  errors.push(...storableProblems(childRecord).map((p) => ({ field: cinField(p.field, names), reason: p.reason })));
  if (errors.length) {
    yield rejected('child', el.line, childRecordId, errors, ref());
  } else {
    yield { table: 'child', row: el.line, ref: ref(), recordId: childRecordId, errors: [], warnings, record: childRecord };
  }
  const ctx: ChildContext = { names, childId, person, expectedBirth, sourceSystem, childRow: el.line, ordinal };
  const disabilities = children(child(child(el, 'ChildCharacteristics'), 'Disabilities'), 'Disability').map((d) => d.text.trim()).filter(Boolean);
  const seen = new Map<string, number>();
  const uniqueId = (id: string) => {
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  };
  const make = (
    table: string, node: XmlElement, dateField: string, date: string | null, recordKey: string,
    code: string, summaryOf: string | { text: string; from: string }, narrative: string[], factorCodes: string[] = [], itemWarnings: FieldProblem[] = [],
  ): IntakeItem => {
    const summary = typeof summaryOf === 'string' ? summaryOf : summaryOf.text;
    const recordId = uniqueId(`${childId}/${recordKey}`);
    const where = ref(`, ${node.name}`);
    if (errors.length) return rejected(table, node.line, recordId, [{ field: 'Child', reason: `the child's own record was rejected (see line ${ctx.childRow})` }], where);
    if (!date) return rejected(table, node.line, recordId, [{ field: dateField, reason: 'is missing' }], where);
    const d = parseIsoDate(date);
    if (!d.ok) return rejected(table, node.line, recordId, [{ field: dateField, reason: d.reason }], where);
    if (beforeBirth(d.date, person.dateOfBirth)) return rejected(table, node.line, recordId, [{ field: dateField, reason: 'is more than a year before the child\'s date of birth' }], where);
    if (beforeBirth(d.date, ctx.expectedBirth)) return rejected(table, node.line, recordId, [{ field: dateField, reason: 'is more than a year before the child\'s expected date of birth (ExpectedPersonBirthDate)' }], where);
    const record: IntakeRecord = {
      organisationId: null, sourceSystem, recordId, person, role: 'subject', otherPeople: [],
      event: {
        code, agencyCode: null, occurredAt: `${d.date}T00:00:00.000Z`, precision: 'date', summary,
        narrative: narrative.filter(Boolean).join('\n') || null, place: null, factorCodes: [...new Set(factorCodes)],
        sensitivity: 'standard', reliability: 'confirmed', grading: null,
      },
    };
    // A value the database would refuse (a summary made long by an unknown code): name the element it came from.
    const fieldNames = { ...ctx.names, ...(typeof summaryOf === 'string' ? {} : { summary: summaryOf.from }) };
    const unstorable = storableProblems(record).map((p) => ({ field: cinField(p.field, fieldNames), reason: p.reason }));
    if (unstorable.length) return rejected(table, node.line, recordId, unstorable, where);
    return { table, row: node.line, ref: where, recordId, errors: [], warnings: itemWarnings, record };
  };

  for (const [k, details] of children(el, 'CINdetails').entries()) {
    const referralDate = textOf(details, 'CINreferralDate');
    const base = `cin/${referralDate ?? `episode-${k + 1}`}`;
    const source = labelled(textOf(details, 'ReferralSource'), REFERRAL_SOURCES);
    yield make('referral', details, 'CINreferralDate', referralDate, `${base}/referral`, 'referral_to_childrens_social_care',
      { text: `Referral to children's social care${source ? ` from ${source.replace(/^\S+ \((.*)\)$/, '$1')}` : ''}`, from: 'ReferralSource' },
      [
        source ? `Referral source: ${source}` : '', textOf(details, 'PrimaryNeedCode') ? `Primary need: ${labelled(textOf(details, 'PrimaryNeedCode'), PRIMARY_NEEDS)}` : '',
        textOf(details, 'ReferralNFA') ? `No further action on referral: ${textOf(details, 'ReferralNFA')}` : '',
        textOf(details, 'DateOfInitialCPC') ? `Initial child protection conference: ${textOf(details, 'DateOfInitialCPC')}` : '',
        disabilities.length ? `Disabilities recorded: ${disabilities.join(', ')}` : '',
      ]);
    for (const a of children(details, 'Assessments')) {
      const start = textOf(a, 'AssessmentActualStartDate');
      const codes = children(child(a, 'FactorsIdentifiedAtAssessment'), 'AssessmentFactors').map((f) => f.text.trim()).filter(Boolean);
      const mapped = codes.flatMap((c) => factors.get(c) ?? []);
      const known = new Set(loadVocabulary('1').cinFactorCodes.map((c) => c.code));
      const unknown = codes.filter((c) => !known.has(c));
      const factorWarnings = unknown.map((c) => ({ field: 'AssessmentFactors', reason: `"${c}" is not a CIN census factor code (1A to 24A): it is kept in the narrative but not mapped` }));
      const factorLine = codes.length ? `Factors identified at assessment (DfE codes): ${codes.join(', ')}` : '';
      const key = `${base}/assessment/${start ?? 'undated'}`;
      const authorised = textOf(a, 'AssessmentAuthorisationDate');
      yield make('assessment_started', a, 'AssessmentActualStartDate', start, `${key}/started`, 'assessment_started', 'Children and families assessment started',
        [authorised ? '' : factorLine], authorised ? [] : mapped, authorised ? [] : factorWarnings);
      if (authorised) {
        yield make('assessment_completed', a, 'AssessmentAuthorisationDate', authorised, `${key}/completed`, 'assessment_completed', 'Children and families assessment completed',
          [factorLine], mapped, factorWarnings);
      }
    }
    for (const s of children(details, 'Section47')) {
      const start = textOf(s, 'S47ActualStartDate');
      yield make('section_47', s, 'S47ActualStartDate', start, `${base}/s47/${start ?? 'undated'}`, 'section_47_enquiry', 'Section 47 enquiry started', [
        textOf(s, 'InitialCPCtarget') ? `Initial child protection conference due: ${textOf(s, 'InitialCPCtarget')}` : '',
        textOf(s, 'DateOfInitialCPC') ? `Initial child protection conference held: ${textOf(s, 'DateOfInitialCPC')}` : '',
        textOf(s, 'ICPCnotRequired') ? `Conference not required: ${textOf(s, 'ICPCnotRequired')}` : '',
      ]);
    }
    for (const p of children(details, 'CINPlanDates')) {
      const start = textOf(p, 'CINPlanStartDate');
      yield make('cin_plan_started', p, 'CINPlanStartDate', start, `${base}/cin-plan/${start ?? 'undated'}/started`, 'child_in_need_plan_started', 'Child in need plan started', []);
      const end = textOf(p, 'CINPlanEndDate');
      if (end) yield make('cin_plan_ended', p, 'CINPlanEndDate', end, `${base}/cin-plan/${start ?? 'undated'}/ended`, 'child_in_need_plan_ended', 'Child in need plan ended', []);
    }
    for (const p of children(details, 'ChildProtectionPlans')) {
      const start = textOf(p, 'CPPstartDate');
      const category = labelled(textOf(p, 'LatestCategoryOfAbuse') ?? textOf(p, 'InitialCategoryOfAbuse'), ABUSE_CATEGORIES);
      const reviews = children(child(p, 'Reviews'), 'CPPreviewDate').map((r) => r.text.trim());
      yield make('cp_plan_started', p, 'CPPstartDate', start, `${base}/cp-plan/${start ?? 'undated'}/started`, 'child_protection_plan_started',
        { text: `Child protection plan started${category ? `: ${category.replace(/^\S+ \((.*)\)$/, '$1')}` : ''}`, from: textOf(p, 'LatestCategoryOfAbuse') ? 'LatestCategoryOfAbuse' : 'InitialCategoryOfAbuse' }, [
          textOf(p, 'InitialCategoryOfAbuse') ? `Initial category of abuse: ${labelled(textOf(p, 'InitialCategoryOfAbuse'), ABUSE_CATEGORIES)}` : '',
          textOf(p, 'LatestCategoryOfAbuse') ? `Latest category of abuse: ${labelled(textOf(p, 'LatestCategoryOfAbuse'), ABUSE_CATEGORIES)}` : '',
          textOf(p, 'NumberOfPreviousCPP') ? `Number of previous child protection plans: ${textOf(p, 'NumberOfPreviousCPP')}` : '',
          reviews.length ? `Reviews: ${reviews.join(', ')}` : '',
        ]);
      const end = textOf(p, 'CPPendDate');
      if (end) yield make('cp_plan_ended', p, 'CPPendDate', end, `${base}/cp-plan/${start ?? 'undated'}/ended`, 'child_protection_plan_ended', 'Child protection plan ended', []);
    }
    const closed = textOf(details, 'CINclosureDate');
    if (closed) {
      const reason = labelled(textOf(details, 'ReasonForClosure'), CLOSURE_REASONS);
      yield make('closure', details, 'CINclosureDate', closed, `${base}/closure`, 'case_closed',
        { text: `Children in need case closed${reason ? `: ${reason.replace(/^\S+ \((.*)\)$/, '$1')}` : ''}`, from: 'ReasonForClosure' }, [reason ? `Reason for closure: ${reason}` : '']);
    }
  }
}

/** Reads a CIN census file: an item per child and per dated fact; stops with a clear error at malformed or truncated XML, after yielding every complete child. */
export async function* parseCinXml(text: AsyncIterable<string>, opts: { sourceSystem?: string | undefined } = {}): AsyncGenerator<IntakeItem> {
  const factors = cinFactorMap();
  const path: string[] = [];
  let building: XmlElement[] = [];
  let header: XmlElement | null = null;
  let sourceSystem = opts.sourceSystem ?? null;
  let ordinal = 0;
  let sawChildren = false;
  // Elements nested below MAX_CHILD_DEPTH in the record being built are only counted, not built.
  let skipped = 0;
  let tooDeepAt: number | null = null;
  const names: CinFieldNames = { sourceSystem: opts.sourceSystem ? 'sourceSystem' : 'Header.Source.LEA' };
  try {
    for await (const token of readXml(text)) {
      if (skipped > 0 || (token.kind === 'open' && building.length >= MAX_CHILD_DEPTH)) {
        if (token.kind === 'open') {
          skipped++;
          tooDeepAt ??= token.line;
          path.push(token.name);
        } else if (token.kind === 'close') {
          skipped--;
          path.pop();
        }
        continue;
      }
      if (token.kind === 'open') {
        const el: XmlElement = { name: token.name, line: token.line, text: '', children: [] };
        if (building.length) {
          building[building.length - 1]!.children.push(el);
          building.push(el);
        } else if (token.name === 'Child' && path[path.length - 1] === 'Children') {
          building = [el];
          ordinal++;
        } else if (token.name === 'Header' && path.length === 1) {
          building = [el];
        }
        if (token.name === 'Children') sawChildren = true;
        path.push(token.name);
      } else if (token.kind === 'text') {
        const top = building[building.length - 1];
        if (top) top.text += token.text;
      } else {
        path.pop();
        const done = building.pop();
        if (done && building.length === 0) {
          if (done.name === 'Header') {
            header = done;
            const lea = textOf(child(header, 'Source'), 'LEA');
            sourceSystem ??= lea ? `CIN census (LA ${lea})` : 'CIN census';
          } else if (tooDeepAt !== null) {
            const id = textOf(child(done, 'ChildIdentifiers'), 'LAchildID');
            yield rejected('child', done.line, id ? `child/${id}` : null, [{
              field: 'Child',
              reason: `nests elements more than ${MAX_CHILD_DEPTH} levels deep (from line ${tooDeepAt}), far deeper than a census child, so it was not imported`,
            }], `Child ${ordinal}`);
          } else {
            yield* childItems(done, sourceSystem ?? 'CIN census', ordinal, factors, names);
          }
          tooDeepAt = null;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    const partial = building[0];
    if (partial?.name === 'Child') {
      const id = textOf(child(partial, 'ChildIdentifiers'), 'LAchildID');
      const reason = err.truncated ? 'is incomplete: the file ends inside this child, so it may have been cut off during upload' : `could not be read: ${err.message}`;
      yield rejected('child', partial.line, id ? `child/${id}` : null, [{ field: 'Child', reason }], `Child ${ordinal}`);
    }
    throw new IntakeFileError(err.truncated ? 'truncated_file' : err.code ?? 'malformed_xml', `${err.message}. Every complete child before that point was read.`);
  }
  if (!sawChildren) throw new IntakeFileError('not_cin_census', 'The XML has no <Children> element, so it is not a CIN census return');
}
