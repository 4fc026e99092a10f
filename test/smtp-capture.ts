import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message the capture accepted. */
export interface CapturedMail {
  from: string;
  to: string[];
  subject: string;
  /** The text body, transfer encoding undone. */
  text: string;
  raw: string;
}

/** A local SMTP server for tests: it accepts (or, when told to, refuses) every message and keeps it. */
export interface SmtpCapture {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  readonly url: string;
  readonly messages: CapturedMail[];
  /** While true, every message is refused with a temporary failure (451), as a server that is down for a while. */
  refuse: boolean;
  /** How many messages were refused. */
  readonly refused: number;
  close(): Promise<void>;
}

function decodeQuotedPrintable(body: string): string {
  const bytes = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}

/** Splits a raw message into the headers and text body (single-part, as Jigsaw sends). */
export function parseMail(raw: string): { headers: Map<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body)
    : encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : body;
  return { headers, text: text.replace(/\r\n/g, '\n') };
}

/** Starts a capture on 127.0.0.1 on a free port. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  let refused = 0;
  const state = { refuse: false };
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on the loopback address: no certificate for nodemailer to upgrade to.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Senders keep pooled connections open while idle: closing the capture ends them after a moment
    // instead of the library's 30 s grace period.
    closeTimeout: 100,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.refuse) {
          refused += 1;
          const err = Object.assign(new Error('Try again later'), { responseCode: 451 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const { headers, text } = parseMail(raw);
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: headers.get('subject') ?? '',
          text, raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get refuse() { return state.refuse; },
    set refuse(v: boolean) { state.refuse = v; },
    get refused() { return refused; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
