// Frontegg's Node SDK (@frontegg/client, pinned in package.json) judges a table of tokens, for the
// cross-check with TokenVerifier (test_verify_cross_check.py).
//
//   FRONTEGG_API_GATEWAY_URL=<fake url> node node_validator.js CLIENT_ID SECRET TABLE.json [...]
//
// Each TABLE.json maps names to tokens. Each token goes through IdentityClient.validateToken,
// the SDK's check for a route; the script prints "verdict<TAB>name<TAB>accepted" or
// "verdict<TAB>name<TAB>refused <error name>". Before each table but the first it prints
// "next table?" and waits for a line on stdin (the test rotates the fake's key in between).
// Last, "node validator checks passed: N".
'use strict';

const fs = require('fs');
const { FronteggContext, IdentityClient } = require('@frontegg/client');

function nextLine() {
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.pause();
      resolve();
    });
    process.stdin.resume();
  });
}

async function main() {
  const [clientId, secret, ...tables] = process.argv.slice(2);
  FronteggContext.init({ FRONTEGG_CLIENT_ID: clientId, FRONTEGG_API_KEY: secret });
  const identity = IdentityClient.getInstance();
  let judged = 0;
  for (const [number, table] of tables.entries()) {
    if (number > 0) {
      console.log('next table?');
      await nextLine();
    }
    const tokens = JSON.parse(fs.readFileSync(table, 'utf8'));
    for (const [name, token] of Object.entries(tokens)) {
      let verdict = 'accepted';
      try {
        await identity.validateToken(token);
      } catch (error) {
        verdict = `refused ${(error && error.constructor && error.constructor.name) || typeof error}`;
      }
      console.log(`verdict\t${name}\t${verdict}`);
      judged += 1;
    }
  }
  console.log(`node validator checks passed: ${judged}`);
}

main().catch((error) => {
  console.log(`FAILED: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
