import { z } from 'zod';

/**
 * The secrets key used outside production when SECRETS_KEY is not set. It is published here, so it
 * protects nothing: production refuses to start without a key of its own.
 */
export const DEVELOPMENT_SECRETS_KEY = 'amlnc2F3LWRldmVsb3BtZW50LW9ubHktbm90LXNlY3I=';

const secretsKey = z
  .string()
  .trim()
  .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, 'base64').length === 32, 'must be 32 bytes in base64 (44 characters; openssl rand -base64 32)');

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /**
   * The tables' owner, for migrations and the grants after them (a postgres:// URL). Defaults to
   * DATABASE_URL, whose connections then act as DATABASE_APP_ROLE (SET ROLE, which injected SQL can
   * undo: production refuses it and needs the application's own login in DATABASE_URL).
   */
  DATABASE_OWNER_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** The database role the application acts as: it owns nothing (docs/security-model.md). */
  DATABASE_APP_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case role name (letters, digits and _)')
    .default('jigsaw_app'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().positive().default(12),
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** The largest file (or batch of files) one import accepts, in megabytes. */
  INTAKE_MAX_MB: z.coerce.number().positive('must be a positive number of megabytes').default(50),
  /**
   * The key that seals stored secrets (TOTP seeds, OIDC client secrets): 32 random bytes, base64
   * (`openssl rand -base64 32`). Required in production; elsewhere DEVELOPMENT_SECRETS_KEY.
   */
  SECRETS_KEY: secretsKey.optional(),
  /** Keys being rotated out, comma-separated: still opened, never used to seal (docs/security-auth.md). */
  SECRETS_PREVIOUS_KEYS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(secretsKey)),
  /** Where email is sent (invitations): smtp://[user:pass@]host:port, or smtps:// for TLS from the start. Unset: email waits in the outbox. */
  SMTP_URL: z.string().refine((v) => /^smtps?:\/\/[^/\s]+/.test(v), 'must be an smtp:// or smtps:// URL, like smtp://mail.example.gov.uk:587').optional(),
  /** The sender of Jigsaw's email. */
  MAIL_FROM: z.string().min(3).default('Jigsaw <no-reply@jigsaw.invalid>'),
  /** The address people use to reach Jigsaw, for links in email (https://jigsaw.example.gov.uk). */
  PUBLIC_BASE_URL: z.string().refine((v) => /^https?:\/\/[^/\s]+\/?$/.test(v), 'must be an http:// or https:// address with no path, like https://jigsaw.example.gov.uk').optional(),
})
  .refine((c) => c.DATABASE_OWNER_URL === undefined || c.DATABASE_URL !== undefined, {
    path: ['DATABASE_OWNER_URL'],
    message: 'is for a PostgreSQL server: set DATABASE_URL (the application\'s login) too',
  })
  .refine((c) => c.NODE_ENV !== 'production' || c.SECRETS_KEY !== undefined, {
    path: ['SECRETS_KEY'],
    message: 'must be set in production (32 random bytes in base64: openssl rand -base64 32); the development key is published',
  })
  .transform((c) => ({ ...c, SECRETS_KEY: c.SECRETS_KEY ?? DEVELOPMENT_SECRETS_KEY }));

/** Validated runtime configuration. */
export type Config = z.infer<typeof configSchema>;

/**
 * Parses configuration from the environment, failing with every problem listed. This is the one place
 * the application reads environment variables: everything else is given the Config.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  // Invitations carry a link to this server: in production it must be the address people really use.
  if (result.data.NODE_ENV === 'production' && !result.data.PUBLIC_BASE_URL) {
    throw new Error('Invalid configuration: PUBLIC_BASE_URL: must be set in production (the address in the links Jigsaw emails)');
  }
  return result.data;
}
