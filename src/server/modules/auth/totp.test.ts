import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, generateTotpSecret, groupSecret, hotp, otpauthUri, totpCode, totpStep, verifyTotp } from './totp.js';

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  it('matches the RFC 4226 HOTP test values', () => {
    const key = Buffer.from('12345678901234567890');
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, counter) => hotp(key, counter))).toEqual(expected);
  });

  it('matches the RFC 6238 TOTP test values for SHA-1, SHA-256 and SHA-512', () => {
    const sha1 = Buffer.from('12345678901234567890');
    const sha256 = Buffer.from('12345678901234567890123456789012');
    const sha512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234');
    const cases: [number, string, string, string][] = [
      [59, '94287082', '46119246', '90693936'],
      [1111111109, '07081804', '68084774', '25091201'],
      [1111111111, '14050471', '67062674', '99943326'],
      [1234567890, '89005924', '91819424', '93441116'],
      [2000000000, '69279037', '90698825', '38618901'],
      [20000000000, '65353130', '77737706', '47863826'],
    ];
    for (const [seconds, a, b, c] of cases) {
      const step = totpStep(seconds * 1000);
      expect([hotp(sha1, step, 8), hotp(sha256, step, 8, 'sha256'), hotp(sha512, step, 8, 'sha512')]).toEqual([a, b, c]);
    }
  });

  it('round-trips base32 and makes 160-bit secrets', () => {
    const bytes = Buffer.from('any bytes at all \u0000\u00ff');
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI'); // RFC 4648 test vector, unpadded
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(secret);
    expect(groupSecret('ABCDEFGHIJ')).toBe('ABCD EFGH IJ');
    expect(() => base32Decode('not base32!')).toThrow();
  });

  it('accepts the current code and one step of drift, never a replay or an older step', () => {
    const secret = generateTotpSecret();
    const now = Date.UTC(2026, 0, 1, 12, 0, 10);
    const step = totpStep(now);
    expect(verifyTotp(secret, totpCode(secret, now), now, null)).toBe(step);
    expect(verifyTotp(secret, totpCode(secret, now - 30_000), now, null)).toBe(step - 1);
    expect(verifyTotp(secret, totpCode(secret, now + 30_000), now, null)).toBe(step + 1);
    expect(verifyTotp(secret, totpCode(secret, now - 90_000), now, null)).toBeNull();
    expect(verifyTotp(secret, totpCode(secret, now), now, step)).toBeNull(); // replay
    expect(verifyTotp(secret, totpCode(secret, now + 30_000), now, step)).toBe(step + 1);
    const spaced = totpCode(secret, now).replace(/^(\d{3})/, '$1 ');
    expect(verifyTotp(secret, spaced, now, null)).toBe(step);
    expect(verifyTotp(secret, 'abcdef', now, null)).toBeNull();
    expect(verifyTotp(secret, '', now, null)).toBeNull();
  });

  it('writes an otpauth URI an authenticator app can read', () => {
    const uri = new URL(otpauthUri('Jigsaw', 'a.worker@example.test', 'JBSWY3DPEHPK3PXP'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Jigsaw:a.worker@example.test');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Jigsaw', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});
