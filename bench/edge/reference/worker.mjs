// The JavaScript reference for the edge benchmark: the signature check of Discord's own
// Cloudflare sample app (`verifyKey` from discord-interactions 4.4, WebCrypto Ed25519), then
// PING answered {"type":1}. The Rust Worker is measured against this in the same workerd.
import { verifyKey } from 'discord-interactions';

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') {
      return new Response('only POST is accepted here', { status: 405 });
    }
    const signature = request.headers.get('x-signature-ed25519');
    const timestamp = request.headers.get('x-signature-timestamp');
    const body = await request.text();
    const valid = signature && timestamp && (await verifyKey(body, signature, timestamp, env.DISCORD_PUBLIC_KEY));
    if (!valid) {
      return new Response('invalid request signature', { status: 401 });
    }
    const interaction = JSON.parse(body);
    if (interaction.type === 1) {
      return Response.json({ type: 1 });
    }
    return new Response('the reference answers PINGs only', { status: 400 });
  },
};
