import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shortest password accepted (NIST SP 800-63B and ASVS ask for at least 12 when it is the only factor). */
export const PASSWORD_MIN_LENGTH = 12;
/** The longest accepted: long passphrases are welcome, megabyte bodies are not. */
export const PASSWORD_MAX_LENGTH = 256;
/** The service's own name, which makes a guessable password here. */
const SERVICE_WORDS = ['jigsaw'];

let list: Set<string> | undefined;

/** The bundled list of common and breached passwords (see docs/security-auth.md), lower-case. */
export function commonPasswords(): Set<string> {
  list ??= new Set(
    readFileSync(fileURLToPath(new URL('./common-passwords.txt', import.meta.url)), 'utf8')
      .split('\n')
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean),
  );
  return list;
}

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', $: 's', '!': 'i', '|': 'l', '+': 't' };

/** The word at the heart of a password: lower-case, ends stripped of digits and symbols, leetspeak undone, separators removed. */
export function passwordCore(password: string): string[] {
  const lower = password.toLowerCase();
  const stripped = lower.replace(/^[^a-z]+|[^a-z]+$/g, '');
  const unleet = (text: string) => [...text].map((c) => LEET[c] ?? c).join('');
  // Digits at the end are a year or a counter; at the start they may be leetspeak ("4rsenal").
  const trimmed = lower.replace(/^[^a-z0-9]+/, '').replace(/[^a-z]+$/, '');
  const forms = [lower, stripped, unleet(stripped), unleet(trimmed)].map((f) => f.replace(/[\s._\-]+/g, ''));
  return [...new Set([...forms, lower])].filter(Boolean);
}

/** Whether a string is one short unit repeated ("abcabcabcabc", "passwordpassword"). */
function isRepetition(text: string): boolean {
  return /^(.{1,8})\1+$/.test(text);
}

/** Why a new password is refused, as messages for the person choosing it (empty when it is acceptable). */
export function checkNewPassword(password: string, context: { email: string; name?: string }): string[] {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return [`Your new password must be ${PASSWORD_MIN_LENGTH} characters or more`];
  if (length > PASSWORD_MAX_LENGTH) return [`Your new password must be ${PASSWORD_MAX_LENGTH} characters or fewer`];
  const lower = password.toLowerCase();
  const email = context.email.trim().toLowerCase();
  const local = email.split('@')[0] ?? '';
  const personal = [email, ...local.split(/[._\-+]+/), ...(context.name ?? '').toLowerCase().split(/[\s'-]+/)].filter((p) => p.length >= 4);
  if (SERVICE_WORDS.some((w) => lower.includes(w)) || personal.some((p) => lower.includes(p)) || (local.length >= 4 && lower.includes(local))) {
    return ['Your new password must not contain the name of the service, your name or your email address'];
  }
  const common = commonPasswords();
  const cores = passwordCore(password);
  if (cores.some((c) => common.has(c) || isRepetition(c)) || new Set(lower).size < 5) {
    return ['Your new password is too easy to guess: it is a common password or a small change to one. Try 3 or 4 random words together'];
  }
  return [];
}
