// Frontegg's web SDK (@frontegg/rest-api, pinned in package.json) against the fake, with a
// cookie jar standing in for the browser (the SDK relies on the browser to keep the refresh
// cookie). baseUrl is the fake's root: the SDK adds its /frontegg prefix itself.
//
//   FRONTEGG_CLIENT_ID=<id> node web_sdk.js FAKE_URL EMAIL PASSWORD OTHER_TENANT MFA_EMAIL MFA_CODE
//
// Prints one line per check and "web sdk checks passed: N"; exits 1 on the first failure.
'use strict';

const crypto = require('node:crypto');
const { createApiClient, ContextHolder } = require('@frontegg/rest-api');

const [fakeUrl, email, password, otherTenant, mfaEmail, mfaCode] = process.argv.slice(2);

// The browser's part: keep the cookies the fake sets (one jar for the fake's host), send them.
const jar = new Map();
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, options = {}) => {
  const headers = new Headers(options.headers || {});
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  const answer = await realFetch(url, { ...options, headers, redirect: 'manual' });
  for (const line of answer.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const gone = value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
    if (gone) jar.delete(name); else jar.set(name, value);
  }
  return answer;
};
globalThis.sessionStorage = { getItem: () => null, setItem() {}, removeItem() {} };
// The page the SDK runs in: it reads the query string for a scoped tenant.
globalThis.window = { location: { search: '', href: 'http://127.0.0.1/app' }, atob: globalThis.atob };

let passed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name}${ok || detail === undefined ? '' : ` (${detail})`}`);
  if (!ok) process.exit(1);
  passed += 1;
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function refused(promise) {
  try {
    await promise;
    return false;
  } catch (error) {
    return error && error.statusCode >= 400 && error.statusCode < 500;
  }
}

async function main() {
  const app = 'conformance';
  ContextHolder.for(app).setContext({ baseUrl: fakeUrl, clientId: undefined });
  const api = createApiClient(app);

  const login = await api.auth.loginv2({ email, password });
  check('auth.loginv2 signs in and loads the user', login.user && login.user.email === email);
  check('auth.loginv2 lists the tenants (/users/v3/me/tenants)', Array.isArray(login.tenants) && login.tenants.length >= 2);
  const me = await api.auth.getMeV2();
  check('auth.getMeV2 answers the user', me.email === email);

  const first = login.user.accessToken;
  const renewed = await api.auth.refreshTokenV3();
  check('auth.refreshTokenV3 renews from the cookie', renewed.user.accessToken && renewed.user.accessToken !== first);
  const rotated = await api.auth.refreshTokenV3();
  check('auth.refreshTokenV3 rotates: a second refresh works too', rotated.user.accessToken !== renewed.user.accessToken);

  await api.tenants.switchTenant({ tenantId: otherTenant });
  const switched = await api.auth.refreshTokenV3();
  check('tenants.switchTenant then a refresh: the JWT names the new tenant', claims(switched.user.accessToken).tenantId === otherTenant);

  await api.auth.logout();
  check('auth.logout then a refresh is refused with 401', await refused(api.auth.refreshTokenV3()));

  jar.clear();
  ContextHolder.for(app).setAccessToken(null);
  const challenge = await api.auth.loginv2({ email: mfaEmail, password });
  const strategies = challenge.user.mfaStrategies;
  check('auth.loginv2 for an MFA user asks for the second factor', challenge.user.mfaRequired === true && !challenge.user.accessToken);
  check('the MFA answer lists its strategies (a list)', Array.isArray(strategies) && strategies.length >= 1);
  const mfa = await api.auth.loginWithMfaV2({ mfaToken: challenge.user.mfaToken, value: mfaCode });
  check('auth.loginWithMfaV2 completes the login', mfa.user && mfa.user.email === mfaEmail);

  // Hosted login: the browser fills the fake's login box, the SDK exchanges the code.
  jar.clear();
  ContextHolder.for(app).setAccessToken(null);
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challengeS256 = crypto.createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = 'http://127.0.0.1:9/oauth/callback';
  const state = crypto.randomBytes(8).toString('hex');
  const authorize = new URL('/oauth/authorize', fakeUrl);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: process.env.FRONTEGG_CLIENT_ID, scope: 'openid email profile',
    redirect_uri: redirectUri, code_challenge: challengeS256, code_challenge_method: 'S256', state, nonce: 'n1',
  })) authorize.searchParams.set(k, v);
  const page = await (await fetch(authorize)).text();
  const form = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.set(name, value);
  form.set('email', email);
  form.set('password', password);
  const posted = await fetch(new URL('/oauth/authorize/login', fakeUrl), { method: 'POST', body: form });
  const location = new URL(posted.headers.get('location'));
  check('hosted login: the login box redirects with a code and the state', posted.status === 302 && location.searchParams.get('state') === state);
  const exchanged = await api.auth.exchangeOAuthTokensV2({
    grant_type: 'authorization_code', code: location.searchParams.get('code'), redirect_uri: redirectUri, code_verifier: verifier,
  });
  check('auth.exchangeOAuthTokensV2 exchanges the code (id_token as the user JWT)', exchanged.user.email === email && claims(exchanged.user.accessToken).nonce === 'n1');
  const again = await api.auth.exchangeOAuthTokensV2({ grant_type: 'refresh_token', refresh_token: exchanged.user.refreshToken });
  check('auth.exchangeOAuthTokensV2 renews with grant_type=refresh_token', again.user.refreshToken !== exchanged.user.refreshToken);
  const silent = await api.auth.silentOAuthRefreshTokenV2();
  check('auth.silentOAuthRefreshTokenV2 renews from the cookie', silent.user.email === email);

  console.log(`web sdk checks passed: ${passed}`);
}

main().catch((error) => {
  console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
