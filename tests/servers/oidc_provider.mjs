// A real OpenID provider for the tests: the npm package oidc-provider on 127.0.0.1:$OIDC_PORT.
// One confidential client (PKCE required), test users from $OIDC_USERS (JSON: {sub: claims}), an
// in-memory adapter (the package's default), and our own tiny interactions: a login form that asks
// only for the account (no password: these are test users) and consent granted at once.
// Prints one JSON line {"ready":true,...} when it listens; exits when its stdin closes.
import http from 'node:http';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';

// the package lives in the test cache folder (tests/servers/npm.py), not next to this script
const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href);

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const users = JSON.parse(process.env.OIDC_USERS);
const key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: JSON.parse(process.env.OIDC_REDIRECT_URIS),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  jwks: { keys: [{ ...key, kid: 'test-key', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the e-mail claims in the id_token too, as most providers do
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => (users[sub] ? { accountId: sub, claims: async () => ({ sub, ...users[sub] }) }
    : undefined),
});

async function body(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session, grantId } = details;
  if (prompt.name === 'login') {
    if (req.method === 'POST') {
      const login = (await body(req)).get('login') || '';
      if (!users[login]) {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'no such user' });
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Test provider</title><h1>Test provider sign-in</h1>
<form method="post" action="/interaction/${uid}"><label for="login">Account</label>
<input id="login" name="login" autofocus><button type="submit">Continue</button></form>`);
    return;
  }
  const grant = grantId ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
    { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => { res.statusCode = 500; res.end(String(err)); });
  } else {
    callback(req, res);
  }
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ ready: true, issuer }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
