import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { findNul, InputTooDeepError, MAX_INPUT_DEPTH } from './reject-nul-characters.js';

/** A value nested `depth` arrays deep around a string. */
function nested(depth: number, inner: unknown = 'x'): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('the NUL-character check (security review H3, L1)', () => {
  it('does not look inside a stream handed to a route unread (the streamed intake body)', () => {
    // Before the fix it walked the stream's internals until the stack overflowed: every streamed POST /api/v1/intake answered 500.
    const stream = Readable.from(['{"a":1}\n']);
    expect(findNul(stream, 'body')).toBeNull();
    expect(findNul({ file: Buffer.from('a\u0000b') }, 'body')).toBeNull();
    expect(findNul(new Uint8Array([0, 1, 2]), 'body')).toBeNull();
  });

  it('still names a NUL in parsed input, in values and in keys', () => {
    expect(findNul({ records: [{ summary: 'ok' }, { summary: 'b\u0000d' }] }, 'body')).toBe('body.records.1.summary');
    expect(findNul({ ['k\u0000']: 'v' }, 'querystring')).toBe('querystring.k\\0');
    expect(findNul({ a: 'fine' }, 'body')).toBeNull();
  });

  it(`stops at ${MAX_INPUT_DEPTH} levels, without using the stack for 100,000`, () => {
    expect(findNul(nested(MAX_INPUT_DEPTH - 1, 'a\u0000'), 'body')).toBe(`body${'.0'.repeat(MAX_INPUT_DEPTH - 1)}`);
    expect(() => findNul(nested(MAX_INPUT_DEPTH + 1), 'body')).toThrow(InputTooDeepError);
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(() => findNul(deep, 'body')).toThrow(InputTooDeepError);
    expect(() => findNul(deep, 'body')).not.toThrow(RangeError);
  });
});
