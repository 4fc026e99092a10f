import { describe, expect, it } from 'vitest';
import { shownDetails, sourceGroupOf, type HeldSourceRecord } from './person-details.js';

const rec = (ref: string, kind: string, receivedAt: string, over: Partial<HeldSourceRecord> = {}): HeldSourceRecord => ({
  sourceRecordRef: ref, organisationId: `org-${ref}`, organisationKind: kind, receivedAt,
  givenNames: 'Ashton', familyName: 'Okafor', dateOfBirth: '2011-05-14', dateOfBirthPrecision: 'day', sex: 'male', ethnicity: 'BAFR',
  postcode: 'SE15 4AB', addressLine: '12 Example Road', borough: 'Southwark', ...over,
});

describe('shown details from the agencies’ records', () => {
  const police = rec('p', 'police', '2026-01-01T10:00:00Z', { givenNames: 'Ashtun', dateOfBirth: '2011-05-15', ethnicity: null, postcode: 'SE1 1AA', addressLine: '1 Old Street' });
  const school = rec('s', 'school', '2026-02-01T10:00:00Z', { givenNames: 'Ashton', dateOfBirth: '2011-05-14', ethnicity: 'MWBA', postcode: 'SE15 4AB', addressLine: '12 Example Road' });
  const gp = rec('g', 'gp', '2026-03-01T10:00:00Z', { givenNames: 'Ashley', dateOfBirth: '2011-05-13', ethnicity: null, sex: 'not_known', postcode: 'SE22 8XY', addressLine: '7 New Road' });

  it('takes each field from its most authoritative source: education’s name and ethnicity, health’s date of birth, the newest address', () => {
    const shown = shownDetails([police, school, gp]);
    expect(shown.name).toMatchObject({ value: { givenNames: 'Ashton', familyName: 'Okafor' }, source: { sourceRecordRef: 's' } });
    expect(shown.date_of_birth).toMatchObject({ value: { date: '2011-05-13', precision: 'day' }, source: { sourceRecordRef: 'g' } });
    expect(shown.ethnicity).toMatchObject({ value: 'MWBA', source: { sourceRecordRef: 's' } });
    // Health does not know the sex: the next source that does (education) wins, not "not known".
    expect(shown.sex).toMatchObject({ value: 'male', source: { sourceRecordRef: 's' } });
    expect(shown.address).toMatchObject({ value: { postcode: 'SE22 8XY', line: '7 New Road' }, source: { sourceRecordRef: 'g' } });
  });

  it('children’s services outrank education for name and ethnicity; within a kind the newest wins', () => {
    const csc = rec('c', 'childrens_social_care', '2025-06-01T10:00:00Z', { givenNames: 'Ashtyn', ethnicity: 'BCRB' });
    expect(shownDetails([school, csc]).name?.value.givenNames).toBe('Ashtyn');
    expect(shownDetails([school, csc]).ethnicity?.value).toBe('BCRB');
    const school2 = rec('s2', 'school', '2026-04-01T10:00:00Z', { givenNames: 'Ash' });
    expect(shownDetails([school, school2]).name?.source.sourceRecordRef).toBe('s2');
  });

  it('a known value beats "not recorded", and a recorded ethnicity beats "refused" or "not obtained"', () => {
    const csc = rec('c', 'childrens_social_care', '2026-06-01T10:00:00Z', { ethnicity: null, givenNames: null, familyName: null });
    expect(shownDetails([police, csc]).ethnicity).toBeNull();
    expect(shownDetails([school, csc]).ethnicity?.value).toBe('MWBA');
    expect(shownDetails([school, csc]).name?.source.sourceRecordRef).toBe('s');
    const refused = rec('r', 'childrens_social_care', '2026-06-01T10:00:00Z', { ethnicity: 'REFU' });
    expect(shownDetails([refused, police]).ethnicity?.value).toBe('REFU');
    expect(shownDetails([refused, school]).ethnicity?.value).toBe('MWBA');
  });

  it('a full date of birth beats a month, and a month beats a year, whatever the source', () => {
    const gpMonth = rec('g', 'gp', '2026-03-01T10:00:00Z', { dateOfBirth: '2011-05-01', dateOfBirthPrecision: 'month' });
    const policeYear = rec('p', 'police', '2026-01-01T10:00:00Z', { dateOfBirth: '2011-01-01', dateOfBirthPrecision: 'year' });
    expect(shownDetails([gpMonth, school]).date_of_birth).toMatchObject({ value: { date: '2011-05-14', precision: 'day' }, source: { sourceRecordRef: 's' } });
    expect(shownDetails([gpMonth, policeYear]).date_of_birth).toMatchObject({ value: { date: '2011-05-01', precision: 'month' } });
    expect(shownDetails([policeYear]).date_of_birth?.value.precision).toBe('year');
  });

  it('does not depend on the order the records are read in, and nothing held gives nothing shown', () => {
    const all = [police, school, gp];
    expect(shownDetails([...all].reverse())).toEqual(shownDetails(all));
    const tie = rec('a', 'police', police.receivedAt, { postcode: 'N1 9GU' });
    expect(shownDetails([police, tie]).address).toEqual(shownDetails([tie, police]).address);
    expect(shownDetails([])).toEqual({ name: null, date_of_birth: null, sex: null, ethnicity: null, address: null });
    expect(sourceGroupOf('acute_hospital')).toBe('health');
    expect(sourceGroupOf('youth_justice')).toBe('other');
  });
});
