// Signs an interaction with Node's own Ed25519 (node:crypto, OpenSSL) and POSTs it, so the
// edge's signature check is held to an implementation outside Rust.
// Usage: node edge_signed_interaction.mjs URL SEED_HEX BODY
// Prints {"status": N, "body": "..."} on stdout.
import { createPrivateKey, sign } from 'node:crypto';

const [url, seedHex, body] = process.argv.slice(2);
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): a fixed prefix, then the 32 bytes.
const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]);
const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
const timestamp = String(Math.floor(Date.now() / 1000));
const signature = sign(null, Buffer.from(timestamp + body), key).toString('hex');

const response = await fetch(url, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-signature-ed25519': signature,
    'x-signature-timestamp': timestamp,
  },
  body,
});
console.log(JSON.stringify({ status: response.status, body: await response.text() }));
