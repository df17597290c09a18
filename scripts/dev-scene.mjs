// The sandbox's scene, played by scripts/dev once the stack is up: members of the simulated
// community use ShipTrack, and the scene shows what they would see in Discord. Each step is
// also checked against the simulator's records and the database, and the exit code says
// whether every check passed (scripts/dev --scene-and-exit, scripts/test-dev).
//
//   1. Carol chats in #i-shipped (no link: not a launch), then Alice posts a launch there:
//      the gateway worker logs it and reacts 🚀.
//   2. Bob runs /ship: the simulator signs the interaction, the edge answers it.
//   3. Carol runs /leaderboard.
//   4. The Monday cron fires (wrangler's scheduled endpoint), and the digest the edge posts to
//      #announcements is read back from the simulator.
//
// Usage: node scripts/dev-scene.mjs --sim CONTROL_URL --edge EDGE_URL --database DATABASE_URL [--pace MS]
//   --pace MS  a pause before each step, so a person can follow (scripts/dev: 1500; tests: 0)

import { createClient } from '@libsql/client';

const DIGEST_CRON = '0+9+*+*+1';
// Generous for a loaded 2-core machine; each wait ends as soon as its record arrives.
const WAIT_MS = 20_000;

const options = parseArguments(process.argv.slice(2));
const database = createClient({ url: options.database });
const pace = Number(options.pace ?? 0);
const checks = [];

function parseArguments(argv) {
  const parsed = {};
  for (let i = 0; i < argv.length; i += 2) parsed[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const required of ['sim', 'edge', 'database']) {
    if (!parsed[required]) {
      console.error(`usage: node scripts/dev-scene.mjs --sim CONTROL_URL --edge EDGE_URL --database DATABASE_URL [--pace MS] (missing --${required})`);
      process.exit(2);
    }
  }
  return parsed;
}

// ----- talking to the stack -----

/** A call to the simulator's control API (`/_sim/...`); null for a 408 (a wait that timed out). */
async function sim(path, body) {
  const response = await fetch(`${options.sim}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 408) return null;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

/**
 * Counts the simulator's records of one kind now, and returns a wait for `more` new ones: it
 * gives all the records once they are there, or null after WAIT_MS.
 */
async function newRecordsWait(record, more, channelId) {
  const query = channelId ? `?channel_id=${channelId}` : '';
  const now = (await sim(`/records/${record}${query}`)).length;
  return () => sim('/wait', { record, count: now + more, timeout_ms: WAIT_MS, channel_id: channelId });
}

async function row(sql, args) {
  const result = await database.execute({ sql, args });
  return result.rows[0] ?? null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks `probe` again every 100 ms until it gives something, for at most WAIT_MS. */
async function eventually(probe) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = await probe();
    if (found || Date.now() > deadline) return found;
    await sleep(100);
  }
}

/** Monday 09:00 UTC after `now`: the digest covering the seven days before it includes today. */
function nextDigestTime(now) {
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 9));
  monday.setUTCDate(monday.getUTCDate() + ((8 - monday.getUTCDay()) % 7));
  if (monday <= now) monday.setUTCDate(monday.getUTCDate() + 7);
  return monday;
}

// ----- what a watcher sees -----

function say(line = '') {
  console.log(`[scene] ${line}`);
}

/** A message as Discord shows it: mentions become @Name; every line indented under its author. */
function show(prefix, content, names) {
  const readable = content.replace(/<@!?(\d+)>/g, (mention, id) => (names.has(id) ? `@${names.get(id)}` : mention));
  const [first, ...rest] = readable.split('\n');
  say(`${prefix}${first}`);
  for (const line of rest) say(`${' '.repeat(prefix.length)}${line}`);
}

function check(what, passed, detail = '') {
  checks.push({ what, passed });
  say(`  ${passed ? '✓' : '✗'} ${what}${detail ? ` (${detail})` : ''}`);
  return passed;
}

/** The visible reply to an interaction: the immediate response, or the deferred one's edit. */
async function replyText(interaction, reply) {
  const response = reply.json ?? {};
  if (response.type === 4) return { content: response.data?.content ?? '', ephemeral: Boolean(response.data?.flags & 64) };
  if (response.type === 5) {
    const edits = await eventually(async () => {
      const all = await sim('/records/webhook-edits');
      return all.find((edit) => edit.interaction_id === interaction.id);
    });
    return { content: edits?.body?.content ?? '', ephemeral: Boolean(response.data?.flags & 64) };
  }
  return { content: `(HTTP ${reply.status}: ${reply.body})`, ephemeral: false };
}

// ----- the scene -----

async function launchInShipChannel(world) {
  say('');
  say(`1. #${world.ship.name}: a member posts a launch; the gateway worker logs it and reacts`);
  const chatter = 'congrats everyone! what are you all working on?';
  const chatterMessage = await sim('/messages', { channel_id: world.ship.id, author_id: world.carol.id, content: chatter });
  show(`   ${world.carol.name}: `, chatter, world.names);
  const launch = 'Just shipped Pebble 2.0, the tiny habit tracker: https://pebble.example/2.0';
  const nextReaction = await newRecordsWait('reactions', 1);
  const posted = Date.now();
  const message = await sim('/messages', { channel_id: world.ship.id, author_id: world.alice.id, content: launch });
  show(`   ${world.alice.name}: `, launch, world.names);

  const reactions = (await nextReaction()) ?? [];
  const reaction = reactions.find((r) => r.message_id === message.id);
  if (reaction) say(`      └ ShipTrack reacted ${reaction.emoji}  (${Math.max(0, reaction.at_ms - posted)} ms after the post)`);
  check('the gateway worker reacted 🚀 to the launch', reaction?.emoji === '🚀', reaction ? '' : `no reaction within ${WAIT_MS / 1000} s`);
  check('…and to nothing else', !reactions.some((r) => r.message_id === chatterMessage.id));

  const logged = await eventually(() => row('SELECT source, author_name FROM launches WHERE source_id = ?', [message.id]));
  check("the launch is a row in 'launches'", logged?.source === 'message', logged ? `source ${logged.source}, by ${logged.author_name}` : 'no row');
  const chatterRow = await row('SELECT id FROM launches WHERE source_id = ?', [chatterMessage.id]);
  check('the chatter is not', chatterRow === null);
}

async function shipCommand(world) {
  say('');
  say('2. /ship: the simulator signs the interaction, the edge checks the signature and answers');
  const text = 'Launched git-tidy, a CLI that cleans up merged branches https://git-tidy.example';
  const { interaction, reply } = await sim('/interactions', {
    kind: 'ship',
    text,
    user_id: world.bob.id,
    channel_id: world.ship.id,
  });
  say(`   ${world.bob.name}: /ship text: ${text}`);
  const answer = await replyText(interaction, reply);
  show(`      └ ShipTrack${answer.ephemeral ? ' (only you can see this)' : ''}: `, answer.content, world.names);
  check('the edge answered in time, as Discord requires', reply.status === 200 && reply.problems.length === 0,
    reply.problems.length ? reply.problems.join('; ') : `HTTP ${reply.status} in ${reply.elapsed_ms} ms`);
  check('…publicly, naming the shipper', !answer.ephemeral && answer.content.includes(world.bob.name));
  const logged = await row('SELECT source FROM launches WHERE source_id = ?', [interaction.id]);
  check("the /ship is a row in 'launches'", logged?.source === 'command', logged ? `source ${logged.source}` : 'no row');
}

async function leaderboardCommand(world) {
  say('');
  say('3. /leaderboard');
  const { interaction, reply } = await sim('/interactions', { kind: 'leaderboard', user_id: world.carol.id, channel_id: world.ship.id });
  say(`   ${world.carol.name}: /leaderboard`);
  const answer = await replyText(interaction, reply);
  show('      └ ShipTrack: ', answer.content, world.names);
  check('the leaderboard lists both shippers',
    answer.content.includes(`<@${world.alice.id}>`) && answer.content.includes(`<@${world.bob.id}>`));
}

async function weeklyDigest(world) {
  say('');
  const at = nextDigestTime(new Date());
  say(`4. The Monday cron fires (as it will at ${at.toISOString()}); the edge posts the digest`);
  const nextPost = await newRecordsWait('posted-messages', 1, world.announcements.id);
  const response = await fetch(`${options.edge}/cdn-cgi/local/scheduled?cron=${DIGEST_CRON}&time=${at.getTime()}`);
  await response.arrayBuffer();
  const messages = (await nextPost()) ?? [];
  for (const message of messages) {
    show(`   #${world.announcements.name}  ShipTrack: `, message.content, world.names);
  }
  const content = messages.map((m) => m.content).join('\n');
  check(`the digest was posted to #${world.announcements.name}`, messages.length > 0,
    messages.length ? `${messages.length} message(s)` : `nothing within ${WAIT_MS / 1000} s; see the [edge] lines`);
  check('…with both launches', content.includes(`<@${world.alice.id}>`) && content.includes(`<@${world.bob.id}>`));
  check('…pinging no one', messages.length > 0 && messages.every((m) => JSON.stringify(m.allowed_mentions?.parse) === '[]'));
  const digest = await row("SELECT status FROM digests WHERE guild_id = ? ORDER BY window_end DESC LIMIT 1", [world.guild.id]);
  check("the week is recorded in 'digests'", digest?.status === 'posted', digest ? `status ${digest.status}` : 'no row');
}

/** Who and where, from the simulator's own description of its world. */
async function describeWorld() {
  const info = await sim('/info');
  const guild = info.guilds[0];
  const channel = (name) => guild.channels.find((c) => c.name === name);
  const display = (username) => username.charAt(0).toUpperCase() + username.slice(1);
  const person = (username) => {
    const user = info.users.find((u) => u.username === username);
    return { id: user.id, name: display(user.username) };
  };
  const names = new Map(info.users.map((u) => [u.id, display(u.username)]));
  return {
    guild,
    ship: channel('i-shipped'),
    announcements: channel('announcements'),
    alice: person('alice'),
    bob: person('bob'),
    carol: person('carol'),
    names,
  };
}

async function main() {
  const world = await describeWorld();
  say(`The scene: ${world.guild.name}, simulated; every step below went through the real processes.`);
  let busyMs = 0;
  for (const step of [launchInShipChannel, shipCommand, leaderboardCommand, weeklyDigest]) {
    await sleep(pace);
    const stepStarted = Date.now();
    try {
      await step(world);
    } catch (error) {
      check(`${step.name} ran`, false, error.message);
    }
    busyMs += Date.now() - stepStarted;
  }
  const failed = checks.filter((c) => !c.passed).length;
  const seconds = (busyMs / 1000).toFixed(1);
  say('');
  say(failed === 0
    ? `scene: all ${checks.length} checks passed in ${seconds} s`
    : `scene: ${failed} of ${checks.length} checks FAILED (${seconds} s); the labelled logs above say why`);
  database.close();
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
