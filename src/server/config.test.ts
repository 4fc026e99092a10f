import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { intakeMaxBytes } from './modules/intake/intake.config.js';
import { loadConfig } from './config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|js)$/.test(e.name) && !/\.test\.ts$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

describe('configuration', () => {
  it('is read from the environment in config.ts only: the server, the command line and the migrations are given it', () => {
    const readers = [...sourceFiles('src'), ...sourceFiles('bin')]
      .filter((f) => /process\.env\b/.test(readFileSync(join(root, f), 'utf8')));
    expect(readers).toEqual(['src/server/config.ts']);
  });

  it('limits an import to INTAKE_MAX_MB megabytes (50 unless set), refusing a limit that is not a positive number', () => {
    expect(intakeMaxBytes(loadConfig({}))).toBe(50 * 1024 * 1024);
    expect(intakeMaxBytes(loadConfig({ INTAKE_MAX_MB: '2.5' }))).toBe(2_621_440);
    expect(() => loadConfig({ INTAKE_MAX_MB: '0' })).toThrow(/INTAKE_MAX_MB/);
    expect(() => loadConfig({ INTAKE_MAX_MB: 'lots' })).toThrow(/INTAKE_MAX_MB/);
  });

  it('takes the mail server and the public address for invitation links, refusing malformed ones, and needs the address in production', () => {
    const defaults = loadConfig({});
    expect([defaults.SMTP_URL, defaults.PUBLIC_BASE_URL, defaults.MAIL_FROM]).toEqual([undefined, undefined, 'Jigsaw <no-reply@jigsaw.invalid>']);
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:1025', PUBLIC_BASE_URL: 'https://jigsaw.example.gov.uk' })).toMatchObject({ SMTP_URL: 'smtp://127.0.0.1:1025', PUBLIC_BASE_URL: 'https://jigsaw.example.gov.uk' });
    expect(() => loadConfig({ SMTP_URL: 'mail.example.gov.uk' })).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://jigsaw.example.gov.uk/app' })).toThrow(/PUBLIC_BASE_URL: must be an http/);
    const production = { NODE_ENV: 'production', SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') };
    expect(() => loadConfig(production)).toThrow(/PUBLIC_BASE_URL: must be set in production/);
    expect(loadConfig({ ...production, PUBLIC_BASE_URL: 'https://jigsaw.example.gov.uk' }).NODE_ENV).toBe('production');
  });
});
