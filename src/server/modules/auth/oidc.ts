import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { z } from 'zod';

// The OpenID Connect client: authorization code flow with PKCE (S256), state and nonce, and ID
// tokens verified against the provider's published keys (RS256). No library: node:crypto does it.

const CACHE_MS = 10 * 60_000;
const CLOCK_SKEW_S = 60;
const TIMEOUT_MS = 10_000;

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
});
/** The parts of a provider's discovery document this client uses. */
export type Discovery = z.infer<typeof discoverySchema>;

const jwksSchema = z.object({ keys: z.array(z.object({ kty: z.string(), kid: z.string().optional(), use: z.string().optional(), alg: z.string().optional() }).passthrough()) });

/** Why an OpenID Connect sign-in failed (the code goes to the access log, never to the page). */
export class OidcError extends Error {
  constructor(readonly code: string) {
    super(`OpenID Connect sign-in failed: ${code}`);
    this.name = 'OidcError';
  }
}

const discoveries = new Map<string, { at: number; value: Discovery }>();
const keySets = new Map<string, { at: number; keys: JsonWebKey[] }>();

const b64url = (buf: Buffer) => buf.toString('base64url');

/** Plain HTTP is accepted only for a provider on this machine (tests, development). */
function assertSecure(url: string): void {
  const u = new URL(url);
  if (u.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) throw new OidcError('insecure_url');
}

async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  assertSecure(url);
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' }).catch(() => {
    throw new OidcError('provider_unreachable');
  });
  if (!res.ok) throw new OidcError(`provider_http_${res.status}`);
  return res.json().catch(() => {
    throw new OidcError('provider_bad_json');
  });
}

/** Reads (and caches) a provider's discovery document; its issuer must be exactly the configured one. */
export async function discover(issuer: string): Promise<Discovery> {
  const cached = discoveries.get(issuer);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
  const parsed = discoverySchema.safeParse(await getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`));
  if (!parsed.success) throw new OidcError('bad_discovery');
  if (parsed.data.issuer !== issuer) throw new OidcError('issuer_mismatch');
  discoveries.set(issuer, { at: Date.now(), value: parsed.data });
  return parsed.data;
}

async function signingKeys(jwksUri: string, refresh: boolean): Promise<JsonWebKey[]> {
  const cached = keySets.get(jwksUri);
  if (!refresh && cached && Date.now() - cached.at < CACHE_MS) return cached.keys;
  const parsed = jwksSchema.safeParse(await getJson(jwksUri));
  if (!parsed.success) throw new OidcError('bad_jwks');
  const keys = parsed.data.keys.filter((k) => k.kty === 'RSA' && (k.use === undefined || k.use === 'sig')) as JsonWebKey[];
  keySets.set(jwksUri, { at: Date.now(), keys });
  return keys;
}

/** A new sign-in's secrets: state and nonce, and the PKCE verifier with its S256 challenge. */
export function newAuthorization(): { state: string; nonce: string; codeVerifier: string; codeChallenge: string } {
  const codeVerifier = b64url(randomBytes(32));
  return {
    state: b64url(randomBytes(32)),
    nonce: b64url(randomBytes(32)),
    codeVerifier,
    codeChallenge: b64url(createHash('sha256').update(codeVerifier).digest()),
  };
}

/** The hash a state is stored under, so the table alone cannot complete a sign-in. */
export function hashState(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

/** The provider's authorization URL for a sign-in. */
export function authorizationUrl(d: Discovery, p: { clientId: string; redirectUri: string; state: string; nonce: string; codeChallenge: string }): string {
  const url = new URL(d.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: p.clientId, redirect_uri: p.redirectUri, scope: 'openid email profile',
    state: p.state, nonce: p.nonce, code_challenge: p.codeChallenge, code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/** Exchanges an authorization code for the ID token (client_secret_basic, with the PKCE verifier). */
export async function exchangeCode(
  d: Discovery,
  p: { clientId: string; clientSecret: string; code: string; redirectUri: string; codeVerifier: string },
): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(p.clientId)}:${encodeURIComponent(p.clientSecret)}`).toString('base64');
  const body = await getJson(d.token_endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirectUri, code_verifier: p.codeVerifier }).toString(),
  });
  const idToken = (body as { id_token?: unknown }).id_token;
  if (typeof idToken !== 'string') throw new OidcError('no_id_token');
  return idToken;
}

/** The ID token claims this client relies on. */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  azp?: string;
  email?: string;
  email_verified?: boolean;
  amr?: string[];
}

function decodePart(part: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new OidcError('malformed_token');
  }
}

/**
 * Verifies an ID token: RS256 signature by a key in the provider's JWKS (fetched again once if the
 * key id is new, for key rotation), then issuer, audience, authorised party, expiry, issue time and nonce.
 */
export async function verifyIdToken(
  token: string,
  expect: { issuer: string; clientId: string; nonce: string; jwksUri: string; nowMs?: number },
): Promise<IdTokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new OidcError('malformed_token');
  const header = decodePart(parts[0]);
  if (header.alg !== 'RS256') throw new OidcError('unsupported_alg');
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const pick = (keys: JsonWebKey[]) => (kid ? keys.find((k) => k.kid === kid) : keys.length === 1 ? keys[0] : undefined);
  const jwk = pick(await signingKeys(expect.jwksUri, false)) ?? pick(await signingKeys(expect.jwksUri, true));
  if (!jwk) throw new OidcError('unknown_key');
  let valid = false;
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    valid = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'));
  } catch {
    valid = false;
  }
  if (!valid) throw new OidcError('bad_signature');

  const c = decodePart(parts[1]) as unknown as IdTokenClaims;
  const now = Math.floor((expect.nowMs ?? Date.now()) / 1000);
  const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (c.iss !== expect.issuer) throw new OidcError('wrong_issuer');
  if (!audiences.includes(expect.clientId)) throw new OidcError('wrong_audience');
  if (audiences.length > 1 && c.azp !== expect.clientId) throw new OidcError('wrong_authorized_party');
  if (typeof c.exp !== 'number' || c.exp + CLOCK_SKEW_S < now) throw new OidcError('expired');
  if (typeof c.iat !== 'number' || c.iat - CLOCK_SKEW_S > now) throw new OidcError('issued_in_future');
  if (c.nonce !== expect.nonce) throw new OidcError('wrong_nonce');
  if (typeof c.sub !== 'string' || !c.sub) throw new OidcError('no_subject');
  return c;
}

/** Forgets cached discovery documents and keys (tests start providers with new keys). */
export function clearOidcCache(): void {
  discoveries.clear();
  keySets.clear();
}
