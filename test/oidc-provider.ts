import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who the test provider signs in next, and how it should misbehave (to test the client refuses). */
export interface TestLogin {
  email: string;
  emailVerified?: boolean;
  amr?: string[];
  tamper?: 'other_key' | 'wrong_nonce' | 'wrong_audience' | 'wrong_issuer' | 'expired' | 'alg_none' | 'no_kid_match';
}

/** A running local OpenID Connect provider. */
export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The next person to sign in at the provider. */
  login: TestLogin;
  /** Token requests the provider received, to check what the client sent. */
  tokenRequests: { params: URLSearchParams; authorization: string | undefined }[];
  close(): Promise<void>;
}

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

function signJwt(header: object, claims: object, key: KeyObject | null): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${key ? sign('RSA-SHA256', Buffer.from(input), key).toString('base64url') : ''}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts a minimal OpenID Connect provider on 127.0.0.1: discovery, JWKS, an authorize endpoint
 * that signs in `login` at once, and a token endpoint that checks the client secret, the redirect
 * URI and the PKCE verifier before issuing an RS256 ID token signed with a key made at start.
 */
export async function startTestOidcProvider(): Promise<TestOidcProvider> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = b64url(randomBytes(8));
  const codes = new Map<string, { clientId: string; redirectUri: string; nonce: string; challenge: string; login: TestLogin }>();
  const clientId = `jigsaw-${b64url(randomBytes(4))}`;
  const clientSecret = b64url(randomBytes(24));
  let issuer = '';
  const state: TestOidcProvider = {
    issuer: '', clientId, clientSecret, login: { email: '' }, tokenRequests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/openid-configuration') {
        return json(200, {
          issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'], id_token_signing_alg_values_supported: ['RS256'], code_challenge_methods_supported: ['S256'],
        });
      }
      if (url.pathname === '/jwks') {
        return json(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
      }
      if (url.pathname === '/authorize') {
        const q = url.searchParams;
        if (q.get('response_type') !== 'code' || q.get('client_id') !== clientId || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('state') || !q.get('nonce')) {
          return json(400, { error: 'invalid_request' });
        }
        const code = b64url(randomBytes(16));
        codes.set(code, { clientId, redirectUri: q.get('redirect_uri')!, nonce: q.get('nonce')!, challenge: q.get('code_challenge')!, login: { ...state.login } });
        const back = new URL(q.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state')!);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        const params = new URLSearchParams(await readBody(req));
        state.tokenRequests.push({ params, authorization: req.headers.authorization });
        const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return json(401, { error: 'invalid_client' });
        const grant = codes.get(params.get('code') ?? '');
        codes.delete(params.get('code') ?? '');
        const verifier = params.get('code_verifier') ?? '';
        if (!grant || params.get('grant_type') !== 'authorization_code' || params.get('redirect_uri') !== grant.redirectUri ||
          b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
          return json(400, { error: 'invalid_grant' });
        }
        const now = Math.floor(Date.now() / 1000);
        const t = grant.login.tamper;
        const claims = {
          iss: t === 'wrong_issuer' ? `${issuer}/other` : issuer, sub: `sub-${grant.login.email}`,
          aud: t === 'wrong_audience' ? 'someone-else' : clientId, iat: now, exp: t === 'expired' ? now - 600 : now + 300,
          nonce: t === 'wrong_nonce' ? 'not-the-nonce' : grant.nonce, email: grant.login.email,
          ...(grant.login.emailVerified === undefined ? {} : { email_verified: grant.login.emailVerified }),
          ...(grant.login.amr ? { amr: grant.login.amr } : {}),
        };
        const header = { alg: t === 'alg_none' ? 'none' : 'RS256', typ: 'JWT', kid: t === 'no_kid_match' ? 'unknown-kid' : kid };
        const idToken = signJwt(header, claims, t === 'alg_none' ? null : t === 'other_key' ? other : privateKey);
        return json(200, { access_token: b64url(randomBytes(16)), token_type: 'Bearer', expires_in: 300, id_token: idToken });
      }
      return json(404, { error: 'not_found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.issuer = issuer;
  return state;
}
