/**
 * The Children in Need census XML (DfE, 2022 and 2024 schemas). Each <Child> is read as a small tree
 * and becomes one item for the child (who they are) and one item per dated fact: referral,
 * assessment started and completed (with factors 1A–24A mapped to the vocabulary), section 47
 * enquiry, child in need plan and child protection plan start and end, and closure. Every
 * item's record id is built from the child's LA id and the fact's date, so the same return
 * imported again changes nothing and a corrected date supersedes the earlier entry.
 */
import { loadVocabulary } from '../domain/vocabulary.js';
import { isEthnicityCode } from '../domain/ethnicity.js';
import { isValidUpn } from '../domain/identifiers.js';
import { beforeBirth, parseIsoDate } from './dates.js';
import { encodingProblem, REPLACEMENT } from './decode.js';
import { ABUSE_CATEGORIES, CLOSURE_REASONS, dfeSex, labelled, PRIMARY_NEEDS, REFERRAL_SOURCES } from './dfe-codes.js';
import { blankPerson, IntakeFileError, rejected, type FieldProblem, type IncomingPersonData, type IntakeItem } from './types.js';
import { child, children, readXml, textOf, XmlSyntaxError, type XmlElement } from './xml.js';

/** CIN census item tables, in the order the batch report lists them. */
export const CIN_TABLES = ['child', 'referral', 'assessment_started', 'assessment_completed', 'section_47', 'cin_plan_started', 'cin_plan_ended', 'cp_plan_started', 'cp_plan_ended', 'closure'] as const;

function cinFactorMap(): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const f of loadVocabulary('1').factors) for (const c of f.cinFactors) map.set(c, [...(map.get(c) ?? []), f.code]);
  return map;
}

function flatText(el: XmlElement): string {
  return el.text + el.children.map(flatText).join('');
}

interface ChildContext {
  childId: string;
  person: IncomingPersonData;
  sourceSystem: string;
  childRow: number;
  ordinal: number;
}

function readPerson(el: XmlElement, childId: string, warnings: FieldProblem[], errors: FieldProblem[]): IncomingPersonData {
  const ids = child(el, 'ChildIdentifiers');
  const person = blankPerson(childId);
  const dob = textOf(ids, 'PersonBirthDate');
  if (dob) {
    const d = parseIsoDate(dob);
    if (d.ok) person.dateOfBirth = d.date;
    else errors.push({ field: 'PersonBirthDate', reason: d.reason });
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
  return person;
}

function* childItems(el: XmlElement, sourceSystem: string, ordinal: number, factors: Map<string, string[]>): Generator<IntakeItem> {
  const ref = (more = '') => `Child ${ordinal}${more}`;
  const childId = textOf(child(el, 'ChildIdentifiers'), 'LAchildID');
  if (flatText(el).includes(REPLACEMENT)) {
    yield rejected('child', el.line, childId, [{ field: '(encoding)', reason: encodingProblem('utf-8') }], ref());
    return;
  }
  if (!childId) {
    yield rejected('child', el.line, null, [{ field: 'LAchildID', reason: 'is missing: every child needs the local authority\'s id' }], ref());
    return;
  }
  const warnings: FieldProblem[] = [];
  const errors: FieldProblem[] = [];
  const person = readPerson(el, childId, warnings, errors);
  const childRecordId = `child/${childId}`;
  if (errors.length) {
    yield rejected('child', el.line, childRecordId, errors, ref());
  } else {
    yield {
      table: 'child', row: el.line, ref: ref(), recordId: childRecordId, errors: [], warnings,
      record: { organisationId: null, sourceSystem, recordId: childRecordId, person, role: 'subject', event: null, otherPeople: [] },
    };
  }
  const ctx: ChildContext = { childId, person, sourceSystem, childRow: el.line, ordinal };
  const disabilities = children(child(child(el, 'ChildCharacteristics'), 'Disabilities'), 'Disability').map((d) => d.text.trim()).filter(Boolean);
  const seen = new Map<string, number>();
  const uniqueId = (id: string) => {
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  };
  const make = (
    table: string, node: XmlElement, dateField: string, date: string | null, recordKey: string,
    code: string, summary: string, narrative: string[], factorCodes: string[] = [], itemWarnings: FieldProblem[] = [],
  ): IntakeItem => {
    const recordId = uniqueId(`${childId}/${recordKey}`);
    const where = ref(`, ${node.name}`);
    if (errors.length) return rejected(table, node.line, recordId, [{ field: 'Child', reason: `the child's own record was rejected (see line ${ctx.childRow})` }], where);
    if (!date) return rejected(table, node.line, recordId, [{ field: dateField, reason: 'is missing' }], where);
    const d = parseIsoDate(date);
    if (!d.ok) return rejected(table, node.line, recordId, [{ field: dateField, reason: d.reason }], where);
    if (beforeBirth(d.date, person.dateOfBirth)) return rejected(table, node.line, recordId, [{ field: dateField, reason: 'is more than a year before the child\'s date of birth' }], where);
    return {
      table, row: node.line, ref: where, recordId, errors: [], warnings: itemWarnings,
      record: {
        organisationId: null, sourceSystem, recordId, person, role: 'subject', otherPeople: [],
        event: {
          code, agencyCode: null, occurredAt: `${d.date}T00:00:00.000Z`, precision: 'date', summary,
          narrative: narrative.filter(Boolean).join('\n') || null, place: null, factorCodes: [...new Set(factorCodes)],
          sensitivity: 'standard', reliability: 'confirmed', grading: null,
        },
      },
    };
  };

  for (const [k, details] of children(el, 'CINdetails').entries()) {
    const referralDate = textOf(details, 'CINreferralDate');
    const base = `cin/${referralDate ?? `episode-${k + 1}`}`;
    const source = labelled(textOf(details, 'ReferralSource'), REFERRAL_SOURCES);
    yield make('referral', details, 'CINreferralDate', referralDate, `${base}/referral`, 'referral_to_childrens_social_care',
      `Referral to children's social care${source ? ` from ${source.replace(/^\S+ \((.*)\)$/, '$1')}` : ''}`,
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
        `Child protection plan started${category ? `: ${category.replace(/^\S+ \((.*)\)$/, '$1')}` : ''}`, [
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
        `Children in need case closed${reason ? `: ${reason.replace(/^\S+ \((.*)\)$/, '$1')}` : ''}`, [reason ? `Reason for closure: ${reason}` : '']);
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
  try {
    for await (const token of readXml(text)) {
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
          } else {
            yield* childItems(done, sourceSystem ?? 'CIN census', ordinal, factors);
          }
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
    throw new IntakeFileError(err.truncated ? 'truncated_file' : 'malformed_xml', `${err.message}. Every complete child before that point was read.`);
  }
  if (!sawChildren) throw new IntakeFileError('not_cin_census', 'The XML has no <Children> element, so it is not a CIN census return');
}
