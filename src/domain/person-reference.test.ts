import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idRangeOfReference, personReference } from './person-reference.js';

describe('person reference', () => {
  it('is short, readable and decodes to a range holding the id', () => {
    for (let n = 0; n < 200; n += 1) {
      const id = randomUUID();
      const ref = personReference(id);
      expect(ref).toMatch(/^JG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      const range = idRangeOfReference(ref)!;
      expect(id >= range.from && id <= range.to, `${id} in ${range.from}..${range.to}`).toBe(true);
    }
  });

  it('reads what people type: any case, no dashes, no prefix, O for 0 and I or L for 1', () => {
    const id = '0f1c2d3e-4b00-4000-8000-000000000000';
    const ref = personReference(id);
    expect(ref).toBe('JG-1WE2-TFJB');
    expect(idRangeOfReference('jg 1we2 tfjb')).toEqual(idRangeOfReference(ref));
    expect(idRangeOfReference('1WE2TFJB')).toEqual(idRangeOfReference(ref));
    expect(idRangeOfReference('JG-LWE2-TFJB')).toEqual(idRangeOfReference(ref));
    expect(idRangeOfReference('Kai Smith')).toBeNull();
    expect(idRangeOfReference('JG-1WE2-TFJU')).toBeNull();
  });
});
