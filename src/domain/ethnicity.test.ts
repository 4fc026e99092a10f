import { describe, it, expect } from 'vitest';
import {
  ETHNICITY_CODES,
  ETHNICITY_GROUPS,
  ethnicityGroup,
  ethnicityLabel,
  isEthnicityCode,
} from './ethnicity.js';

describe('ethnicity codes', () => {
  it('has the 20 CIN census codes, each with a label and a known group', () => {
    expect(ETHNICITY_CODES).toHaveLength(20);
    expect(new Set(ETHNICITY_CODES).size).toBe(20);
    for (const code of ETHNICITY_CODES) {
      expect(ethnicityLabel(code)).toBeTruthy();
      expect(ETHNICITY_GROUPS).toContain(ethnicityGroup(code));
    }
  });

  it('groups codes by their broad ONS group', () => {
    expect(ethnicityGroup('WBRI')).toBe('White');
    expect(ethnicityGroup('WROM')).toBe('White');
    expect(ethnicityGroup('MWBC')).toBe('Mixed or multiple ethnic groups');
    expect(ethnicityGroup('APKN')).toBe('Asian or Asian British');
    expect(ethnicityGroup('CHNE')).toBe('Asian or Asian British');
    expect(ethnicityGroup('BCRB')).toBe('Black, Black British, Caribbean or African');
    expect(ethnicityGroup('OOTH')).toBe('Other ethnic group');
    expect(ethnicityGroup('REFU')).toBe('Not known or refused');
    expect(ethnicityGroup('NOBT')).toBe('Not known or refused');
  });

  it('labels as in the CIN schema and handles unknown codes', () => {
    expect(ethnicityLabel('WIRT')).toBe('Traveller of Irish heritage');
    expect(ethnicityLabel('BAFR')).toBe('African');
    expect(ethnicityLabel('XXXX')).toBeUndefined();
    expect(ethnicityGroup('XXXX')).toBe('Not known or refused');
    expect(isEthnicityCode('WBRI')).toBe(true);
    expect(isEthnicityCode('wbri')).toBe(false);
    expect(isEthnicityCode(42)).toBe(false);
  });
});
