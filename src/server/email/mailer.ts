import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';

/** One email: plain text, to one person. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
}

/** Email cannot be sent because no SMTP server is configured: the work waits in the outbox and is retried. */
export class EmailNotConfiguredError extends Error {
  readonly code = 'smtp_not_configured';
  constructor() {
    super('SMTP_URL is not set: the email waits in the outbox until it is (see docs/security-auth.md)');
    this.name = 'EmailNotConfiguredError';
  }
}

const transports = new Map<string, Transporter>();

/** The transport for an SMTP URL (one per URL, reused). */
function transportFor(url: string): Transporter {
  let t = transports.get(url);
  if (!t) {
    // No logging of its own (nodemailer's logger would print addresses and message text), and short
    // timeouts, so a mail server that does not answer fails the attempt (retried) rather than holding the outbox's lane.
    // Pooled: a few connections kept open and reused, so a stream of alerts does not open one per message.
    t = nodemailer.createTransport({ url, pool: true, maxConnections: 5, logger: false, debug: false, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 });
    transports.set(url, t);
  }
  return t;
}

/**
 * Sends one email through the configured SMTP server. Called by outbox processors only, so a
 * failure (server down, message refused) leaves the work queued for a retry.
 */
export async function sendEmail(config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>, email: OutgoingEmail): Promise<void> {
  if (!config.SMTP_URL) throw new EmailNotConfiguredError();
  await transportFor(config.SMTP_URL).sendMail({ from: config.MAIL_FROM, to: email.to, subject: email.subject, text: email.text });
}

/** Closes every open SMTP connection (the server's shutdown and tests). */
export function closeMailTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}
