// A real, certified OpenID Provider (panva's `oidc-provider`) for Motto's tests,
// on loopback. It prints `READY <issuer>` once it listens; with
// `--exit-with-stdin` it exits when its standard input closes (so it ends with
// the test process that started it).
//
// What it adds to the stock provider, all for tests:
// - accounts kept in memory, set with POST /__test/accounts
//   {sub, email, email_verified, name, preferred_username, groups};
// - dynamic client registration (RFC 7591, POST /reg), so each test registers
//   its own client with its own redirect URI;
// - a sign-in page at /interaction/:uid (a login field and a Cancel button) that
//   grants consent by itself;
// - POST /__test/tamper {client_id, mode}: the next ID tokens this client gets
//   are replaced by a forged one: `other_key` (signed by a key the provider
//   never published), `alg_none` (unsigned), `expired`, `wrong_nonce`,
//   `wrong_audience`, or `rotated` (signed by a new key that the provider starts
//   publishing at that moment, as a real key rotation does). `none` stops it.
//
// Usage: node provider.mjs [port] [--exit-with-stdin]   (port 0: any free port)
// OIDC_STATIC_CLIENTS may hold a JSON array of clients known from the start
// (client_id, client_secret, redirect_uris, post_logout_redirect_uris).

import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.argv[2]?.startsWith('--') ? 0 : process.argv[2] || 0);

const accounts = new Map();
const tamper = new Map();

const signing = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(signing.privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
const stranger = await jose.generateKeyPair('RS256', { extractable: true });
const rotated = await jose.generateKeyPair('RS256', { extractable: true });
const rotatedPublic = { ...(await jose.exportJWK(rotated.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
let publishRotated = false;

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingJwk] },
  clients: JSON.parse(process.env.OIDC_STATIC_CLIENTS || '[]'),
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  async findAccount(_ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { sub: _, ...rest } = accounts.get(sub) ?? {};
        return { sub, ...rest };
      },
    };
  },
});
provider.proxy = false;

function b64(json) {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

async function forge(idToken, mode) {
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'alg_none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    case 'other_key':
      return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(stranger.privateKey);
    case 'expired':
      return new jose.SignJWT({ ...payload, iat: now - 7200, exp: now - 3600 })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(signing.privateKey);
    case 'wrong_nonce':
      return new jose.SignJWT({ ...payload, nonce: 'forged-nonce' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(signing.privateKey);
    case 'wrong_audience':
      return new jose.SignJWT({ ...payload, aud: 'some-other-client' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(signing.privateKey);
    case 'rotated':
      publishRotated = true;
      return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k2' }).sign(rotated.privateKey);
    default:
      return idToken;
  }
}

// Forge the ID token of a tampered client's token response; publish the rotated
// key beside the first once rotation has happened.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    const mode = tamper.get(ctx.oidc?.client?.clientId);
    if (mode && mode !== 'none') ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token, mode) };
  }
  if (ctx.path === '/jwks' && ctx.status === 200 && publishRotated) {
    ctx.body = { keys: [...ctx.body.keys, rotatedPublic] };
  }
});

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function grantConsent(req, res, details) {
  const { prompt, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function loginPage(uid, clientId, error) {
  const alert = error ? `<p role="alert" id="login-error">${escapeHtml(error)}</p>` : '';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test Identity Provider</title></head>
<body data-hydrated="true"><main><h1>Test Identity Provider</h1><p>Sign in to continue to ${escapeHtml(clientId)}.</p>
<form method="post" action="/interaction/${uid}/login"><label for="login">Username</label>
<input id="login" name="login" autocomplete="username" required${error ? ' aria-describedby="login-error"' : ''}>${alert}
<button type="submit">Continue</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form></main></body></html>`;
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (req.method === 'GET') {
    if (details.prompt.name === 'consent') return grantConsent(req, res, details);
    return send(res, 200, 'text/html; charset=utf-8', loginPage(uid, details.params.client_id));
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
  if (action === 'login') {
    const login = new URLSearchParams(await readBody(req)).get('login') ?? '';
    if (!accounts.has(login)) {
      return send(res, 200, 'text/html; charset=utf-8', loginPage(uid, details.params.client_id, 'No such user.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  return send(res, 404, 'text/plain', 'not found');
}

async function control(req, res, url) {
  if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
  const body = JSON.parse((await readBody(req)) || '{}');
  if (url.pathname === '/__test/accounts') {
    accounts.set(body.sub, body);
  } else if (url.pathname === '/__test/tamper') {
    tamper.set(body.client_id, body.mode);
  } else {
    return send(res, 404, 'text/plain', 'not found');
  }
  return send(res, 204, 'text/plain', '');
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    if (url.pathname.startsWith('/__test/')) return await control(req, res, url);
    return callback(req, res);
  } catch (err) {
    if (!res.headersSent) send(res, 500, 'text/plain', String(err?.message ?? err));
    return undefined;
  }
});

if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}
process.on('SIGTERM', () => process.exit(0));
console.log(`READY ${issuer}`);
