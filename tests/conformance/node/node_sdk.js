// Frontegg's Node SDK (@frontegg/client, pinned in package.json) checks the fake's tokens as it
// checks Frontegg's: the environment token from /auth/vendor, the public key from
// /identity/resources/configurations/v1, RS256 only, the token type checked.
//
//   FRONTEGG_API_GATEWAY_URL=<fake url> node node_sdk.js CLIENT_ID SECRET USER_TOKEN API_TOKEN FORGED
//
// Prints one line per check and "node sdk checks passed: N"; exits 1 on the first failure.
'use strict';

const { FronteggContext, IdentityClient } = require('@frontegg/client');

async function main() {
  const [clientId, secret, userToken, apiToken, forged] = process.argv.slice(2);
  FronteggContext.init({ FRONTEGG_CLIENT_ID: clientId, FRONTEGG_API_KEY: secret });
  const identity = IdentityClient.getInstance();
  let passed = 0;
  const check = (name, ok) => {
    console.log(`${ok ? 'ok' : 'FAILED'}: ${name}`);
    if (!ok) process.exit(1);
    passed += 1;
  };

  const user = await identity.validateToken(`Bearer ${userToken}`);
  check('IdentityClient.validateToken accepts a user token', user.type === 'userToken');
  const machine = await identity.validateToken(apiToken);
  check(
    'IdentityClient.validateToken accepts an API token',
    machine.type === 'tenantApiToken' || machine.type === 'userApiToken',
  );
  let refused = false;
  try {
    await identity.validateToken(forged);
  } catch (error) {
    refused = true;
  }
  check('IdentityClient.validateToken refuses a forged token', refused);
  console.log(`node sdk checks passed: ${passed}`);
}

main().catch((error) => {
  console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
