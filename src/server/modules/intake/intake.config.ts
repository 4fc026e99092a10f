/** Intake limits, from the environment (INTAKE_MAX_MB), with a safe default. */

const DEFAULT_MAX_MB = 50;

/** The largest file (or batch of files) one import accepts, in bytes. */
export function intakeMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.INTAKE_MAX_MB;
  if (raw === undefined || raw === '') return DEFAULT_MAX_MB * 1024 * 1024;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) throw new Error(`INTAKE_MAX_MB must be a positive number of megabytes, got "${raw}"`);
  return Math.floor(mb * 1024 * 1024);
}
