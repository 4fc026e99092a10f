import type { Config } from '../../config.js';

/** The largest file (or batch of files) one import accepts, in bytes (INTAKE_MAX_MB, default 50). */
export function intakeMaxBytes(config: Pick<Config, 'INTAKE_MAX_MB'>): number {
  return Math.floor(config.INTAKE_MAX_MB * 1024 * 1024);
}
