// The edge benchmark, run by scripts/bench-edge (not a test: it prints figures).
//
// Measures, for the Rust Worker (edge/entry.mjs and edge/build) and the JavaScript reference
// (reference/worker.mjs, discord-interactions' verifyKey) in the same workerd:
//   - the gzipped bundle (wasm + JS glue + entry module, or the bundled script);
//   - module instantiation in V8 (fresh Node 22 processes; workerd runs the same engine);
//   - p50/p99 latency and CPU per request of N signed PINGs, through `wrangler dev` and on bare
//     `workerd serve`, and of N signed /ship commands (Rust only) writing to a local dev-db;
// then prints the ratios Rust / reference. Alongside, two more servers say what those ratios can
// resolve: a second copy of the reference, whose ratio to the first is what the benchmark reports
// for identical code, and an empty Worker (floor/worker.mjs: reads the body, answers
// {"type":1}, checks nothing), whose ratio shows how much of a PING is Worker code at all. The
// Workers run with the same configuration, and their PINGs take turns in rounds, so the ratios
// hold when other work on the machine comes and goes; the comparison is repeated (--runs), each
// time on freshly started servers: p50 and CPU are reported as medians of the runs, p99 over all
// their requests. Everything listens on loopback; every process started here is ended here, by
// process group.
//
// Usage: node bench/edge/bench.mjs --testkit PATH --gateway-worker PATH [--requests N] [--runs R]

import { spawn, execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = parseArgs(process.argv.slice(2));
const requests = Number(args.requests ?? 2000);
// The PING comparison is repeated, each run on servers of its own, and its p50 and CPU ratios
// reported as medians: a server process keeps its own pace for its whole life (two copies of
// one build in one run differed by up to 3% of CPU per PING), so one run's ratio is partly a
// draw of processes, and runs on the same servers agree with each other more than with the
// truth.
const runs = Number(args.runs ?? 5);
const PING_FIGURES = ['p50', 'p99', 'cpuUs'];
// Where the Workers are compared, and the servers compared there: the Rust Worker, the
// reference, a second copy of the reference (the same code in a process of its own: its ratio to
// the first is the benchmark's own resolution), and an empty Worker (bench/edge/floor) that checks
// nothing, whose PINGs show how much of a PING's time is any Worker's own code at all.
const PLACES = [
  { where: 'wrangler dev', rust: 'rustWrangler', reference: 'referenceWrangler', referenceCopy: 'referenceCopyWrangler', floor: 'floorWrangler' },
  { where: 'bare workerd serve', rust: 'rustWorkerd', reference: 'referenceWorkerd', referenceCopy: 'referenceCopyWorkerd', floor: 'floorWorkerd' },
];
const SERVERS = ['rust', 'reference', 'referenceCopy', 'floor'];
const warmup = Math.max(50, Math.floor(requests / 10));
const work = mkdtempSync(join(tmpdir(), 'shiptrack-bench-'));
const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, 'wrangler.toml'), 'utf8'))[1];
const children = [];

function parseArgs(argv) {
  const parsed = {};
  for (let i = 0; i < argv.length; i += 2) {
    parsed[argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = argv[i + 1];
  }
  for (const required of ['testkit', 'gatewayWorker']) {
    if (!parsed[required]) throw new Error(`missing --${required.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} PATH`);
  }
  return parsed;
}

// ----- processes -----

function start(name, command, commandArgs, options = {}) {
  const child = spawn(command, commandArgs, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const entry = { name, child, output: () => output };
  children.push(entry);
  return entry;
}

// Each child leads its own process group: workerd, started by wrangler, ends with it.
function stopGroup(pgid) {
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // The group is already gone.
    }
  }
}

function stop(target) {
  stopGroup(target.pgid);
  const index = children.findIndex(({ child }) => child.pid === target.pgid);
  if (index >= 0) children.splice(index, 1);
}

function stopAll() {
  for (const { child } of children.splice(0)) stopGroup(child.pid);
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForLine(entry, pattern, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(entry.output());
    if (match) return match;
    if (entry.child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`${entry.name} did not start:\n${entry.output().slice(-3000)}`);
}

async function waitForHttp(entry, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (entry.child.exitCode !== null) break;
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${entry.name} did not serve ${url}:\n${entry.output().slice(-3000)}`);
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// CPU time (user + system, in seconds) of every process in a process group, from /proc.
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
function groupCpuSeconds(pgid) {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command name: state(0) ppid(1) pgrp(2) … utime(11) stime(12).
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks / ticksPerSecond;
}

// ----- requests -----

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const publicKeyHex = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex');

function signed(body) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp } };
}

const GUILD = '290926798626357999';
const CHANNEL = '645027906669510667';
let nextId = 1_300_000_000_000_000_000n;

function ping() {
  return signed(JSON.stringify({ type: 1, id: String(nextId++), application_id: '775799577604522054', token: 'bench', version: 1 }));
}

function ship(index) {
  const id = String(nextId++);
  return signed(
    JSON.stringify({
      type: 2,
      id,
      application_id: '775799577604522054',
      token: `bench-${id}`,
      version: 1,
      guild_id: GUILD,
      channel_id: CHANNEL,
      channel: { id: CHANNEL, type: 0, name: 'launches', guild_id: GUILD },
      member: {
        user: { id: '53908232506183680', username: 'ada', global_name: 'Ada', avatar: null, discriminator: '0' },
        roles: [],
        permissions: '0',
        nick: null,
        mute: false,
        deaf: false,
        joined_at: '2017-03-13T19:19:14.040000+00:00',
        flags: 0,
      },
      data: { id: '771825006014889984', name: 'ship', type: 1, options: [{ type: 3, name: 'text', value: `shipped build ${index} https://example.com/${index}` }] },
      locale: 'en-US',
      app_permissions: '442368',
      authorizing_integration_owners: { 0: GUILD },
      context: 0,
      entitlements: [],
      attachment_size_limit: 10485760,
    }),
  );
}

async function send(url, request) {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, text: await response.text() };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}

// Requests go one after another (Discord does not pipeline an endpoint's requests). A
// target is first checked (the right answer) and warmed up.
async function prepare(target, make, expectType) {
  const url = `${target.url}/interactions`;
  const check = await send(url, make(-1));
  if (check.status !== 200 || JSON.parse(check.text).type !== expectType) {
    throw new Error(`${target.name} answered ${check.status} ${check.text}`);
  }
  for (let i = 0; i < warmup; i++) await send(url, make(i));
  return { target, url, make, latencies: [], cpuSeconds: 0, sent: 0 };
}

// Sends `count` more requests to a prepared target, adding their latencies and the CPU
// time of the serving process group.
async function runBatch(run, count) {
  const prepared = Array.from({ length: count }, (_, i) => run.make(run.sent + i));
  const cpuBefore = groupCpuSeconds(run.target.pgid);
  for (const request of prepared) {
    const started = performance.now();
    const { status } = await send(run.url, request);
    run.latencies.push(performance.now() - started);
    if (status !== 200) throw new Error(`${run.target.name} answered ${status}`);
  }
  run.cpuSeconds += groupCpuSeconds(run.target.pgid) - cpuBefore;
  run.sent += count;
}

// p50/p99 latency in ms and CPU per request in µs; the latencies themselves go along, for
// a p99 over several runs.
function summary(run) {
  const latencies = [...run.latencies].sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuUs: (run.cpuSeconds / run.sent) * 1e6, latencies };
}

async function measure(target, make, expectType) {
  const run = await prepare(target, make, expectType);
  await runBatch(run, requests);
  return summary(run);
}

// The servers of a place take turns in ROUNDS batches each (who goes first rotating), so load
// that comes and goes on this shared machine during the run falls on all alike and their
// ratios stay meaningful. Through wrangler dev the typical request's time
// drifts by ±10% from one second to the next, so the turns are short: with 10 rounds of 300
// PINGs a run's ratio moved by ±4% between runs, with 50 rounds of 60 by about ±1%.
const ROUNDS = 50;
async function measureInTurns(targets, make, expectType) {
  const prepared = [];
  for (const target of targets) prepared.push(await prepare(target, make, expectType));
  const batch = Math.ceil(requests / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    const first = round % prepared.length;
    for (const run of [...prepared.slice(first), ...prepared.slice(0, first)]) await runBatch(run, batch);
  }
  return prepared.map(summary);
}

// The database alone: one insert per pipeline sent straight to the dev-db, so the /ship
// figures can be read as database time plus the Worker's own.
async function measureDatabase(databaseUrl) {
  const url = `${databaseUrl}/v3/pipeline`;
  const pipeline = (requests) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ baton: null, requests }) });
  await fetch(url, pipeline([{ type: 'execute', stmt: { sql: 'CREATE TABLE bench_probe (x INTEGER)' } }, { type: 'close' }]));
  const insert = (i) => pipeline([{ type: 'execute', stmt: { sql: 'INSERT INTO bench_probe (x) VALUES (?1)', args: [{ type: 'integer', value: String(i) }] } }, { type: 'close' }]);
  for (let i = 0; i < warmup; i++) await (await fetch(url, insert(i))).text();
  const latencies = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await (await fetch(url, insert(i))).text();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

// ----- servers -----

async function startDevDb() {
  const entry = start('dev-db', args.testkit, ['dev-db', '--listen', '127.0.0.1:0', '--db', join(work, 'bench.db')]);
  const [, url] = await waitForLine(entry, /dev-db listening on (http:\/\/\S+)/, 30_000);
  execFileSync(args.gatewayWorker, ['migrate'], { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
  return url;
}

function workerVars(databaseUrl) {
  return {
    DISCORD_PUBLIC_KEY: publicKeyHex,
    DISCORD_APPLICATION_ID: '775799577604522054',
    // Nothing is deferred against a local database; a deferral would fail loudly here.
    DISCORD_API_BASE: 'http://127.0.0.1:9/api/v10',
    DISCORD_BOT_TOKEN: 'bench',
    DATABASE_URL: databaseUrl,
  };
}

async function startWrangler(name, configArgs, vars) {
  const envFile = join(work, `${name}.env`);
  writeFileSync(envFile, Object.entries(vars).map(([key, value]) => `${key}=${value}\n`).join(''));
  const port = await freePort();
  const entry = start(name, 'wrangler', [
    'dev', ...configArgs, '--local', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', '0', '--show-interactive-dev-session=false',
    '--log-level', 'warn', '--env-file', envFile, '--persist-to', join(work, `${name}-state`),
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(entry, url, 300_000);
  return { name, url, pgid: entry.child.pid };
}

async function startWorkerd(name, modules, vars) {
  const dir = mkdtempSync(join(work, `${name}-`));
  for (const module of modules) {
    mkdirSync(dirname(join(dir, module.name)), { recursive: true });
    copyFileSync(module.path, join(dir, module.name));
  }
  const port = await freePort();
  const bindings = Object.entries(vars).map(([key, value]) => `(name = "${key}", text = "${value}")`).join(', ');
  const moduleList = modules.map((module) => `(name = "${module.name}", ${module.kind} = embed "${module.name}")`).join(', ');
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local", "private"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${moduleList}],
  compatibilityDate = "${compatibilityDate}",
  bindings = [${bindings}],
  globalOutbound = "loopback",
);
`,
  );
  const entry = start(name, 'workerd', ['serve', join(dir, 'config.capnp')]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(entry, url, 60_000);
  return { name, url, pgid: entry.child.pid };
}

// ----- instantiation -----

// Median time to compile and instantiate, each in a fresh Node process so nothing is cached.
function instantiationMs(script, scriptArgs) {
  return median(Array.from({ length: 7 }, () => Number(execFileSync(process.execPath, ['-e', script, ...scriptArgs]).toString())));
}

const WASM_INSTANTIATE = `
const bytes = require('node:fs').readFileSync(process.argv[1]);
const started = performance.now();
const module = new WebAssembly.Module(bytes);
const imports = {};
for (const { module: name, name: field, kind } of WebAssembly.Module.imports(module)) {
  imports[name] ??= {};
  imports[name][field] = {
    function: () => {},
    memory: () => new WebAssembly.Memory({ initial: 17 }),
    table: () => new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
    global: () => new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
    // wasm-bindgen imports JavaScript's exception tag to catch JS exceptions in Rust.
    tag: () => WebAssembly.JSTag ?? new WebAssembly.Tag({ parameters: ['externref'] }),
  }[kind]();
  if (kind === 'function') imports[name][field] = () => {};
}
new WebAssembly.Instance(module, imports);
process.stdout.write(String(performance.now() - started));
`;

const SCRIPT_IMPORT = `
const started = performance.now();
import(require('node:url').pathToFileURL(process.argv[1]).href).then(() => process.stdout.write(String(performance.now() - started)));
`;

// ----- report -----

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value) => `${value.toFixed(2)} ms`;
const figures = ({ p50, p99, cpuUs }) => `p50 ${ms(p50)}  p99 ${ms(p99)}  CPU ${cpuUs.toFixed(0)} µs/request`;

async function main() {
  const wasm = join(root, 'edge/build/index_bg.wasm');
  const glue = join(root, 'edge/build/index.js');
  const entry = join(root, 'edge/entry.mjs');
  const referenceBundle = join(work, 'reference.js');
  const emptyModule = join(work, 'empty.mjs');
  writeFileSync(emptyModule, 'export default {};\n');
  execFileSync('esbuild', [join(root, 'bench/edge/reference/worker.mjs'), '--bundle', '--format=esm', '--minify', `--outfile=${referenceBundle}`], { stdio: 'ignore' });

  const sizes = { rust: gz(wasm) + gz(glue) + gz(entry), wasm: gz(wasm), glue: gz(glue) + gz(entry), reference: gz(referenceBundle) };
  const instantiation = {
    rust: instantiationMs(WASM_INSTANTIATE, [wasm]),
    // Node's module loader costs the same for any file: an empty module's import is taken off.
    reference: instantiationMs(SCRIPT_IMPORT, [referenceBundle]) - instantiationMs(SCRIPT_IMPORT, [emptyModule]),
  };

  const databaseUrl = await startDevDb();
  // The reference gets the Worker's configuration too, though it reads only the public key:
  // through wrangler dev every binding costs CPU on every request (the reference with these
  // five bindings, against itself with one, used 1.3–3.4% more), and the comparison is of the
  // two Workers' code, not of their configurations.
  const vars = workerVars(databaseUrl);
  const referenceThroughWrangler = (name) => (run) => startWrangler(`${name}-wrangler-${run}`, ['--config', 'bench/edge/reference/wrangler.toml'], vars);
  const referenceOnWorkerd = (name) => (run) => startWorkerd(`${name}-workerd-${run}`, [{ name: 'worker.js', path: referenceBundle, kind: 'esModule' }], vars);
  const starters = {
    rustWrangler: (run) => startWrangler(`rust-wrangler-${run}`, [], vars),
    referenceWrangler: referenceThroughWrangler('reference'),
    referenceCopyWrangler: referenceThroughWrangler('reference-copy'),
    rustWorkerd: (run) => startWorkerd(`rust-workerd-${run}`, [
      // The first module is the main one; the entry imports the build by relative path.
      { name: 'entry.mjs', path: entry, kind: 'esModule' },
      { name: 'build/index.js', path: glue, kind: 'esModule' },
      { name: 'build/index_bg.wasm', path: wasm, kind: 'wasm' },
    ], vars),
    referenceWorkerd: referenceOnWorkerd('reference'),
    referenceCopyWorkerd: referenceOnWorkerd('reference-copy'),
    floorWrangler: (run) => startWrangler(`floor-wrangler-${run}`, ['--config', 'bench/edge/floor/wrangler.toml'], vars),
    floorWorkerd: (run) => startWorkerd(`floor-workerd-${run}`, [{ name: 'worker.mjs', path: join(root, 'bench/edge/floor/worker.mjs'), kind: 'esModule' }], vars),
  };
  const database = await measureDatabase(databaseUrl);
  const results = Object.fromEntries(PLACES.flatMap((place) => SERVERS.map((server) => [place[server], { pings: [] }])));
  for (let run = 0; run < runs; run++) {
    for (const place of PLACES) {
      // Only the servers being measured are running, so that idle ones (four wrangler dev
      // instances with their file watchers and inspector connections) cannot pause them.
      // They start in an order that reverses from run to run, so that nothing about starting
      // first or last (a process's place in memory, the others' start-up work) favours one.
      const keys = SERVERS.map((server) => place[server]);
      const started = {};
      for (const key of run % 2 === 0 ? keys : [...keys].reverse()) started[key] = await starters[key](run);
      const summaries = await measureInTurns(keys.map((key) => started[key]), ping, 1);
      keys.forEach((key, i) => results[key].pings.push(summaries[i]));
      if (run === 0) results[place.rust].ship = await measure(started[place.rust], ship, 4);
      Object.values(started).forEach(stop);
    }
  }

  const line = (label, value) => console.log(`${label.padEnd(44)} ${value}`);
  console.log(`\nShipTrack edge benchmark: ${requests} sequential requests per target after ${warmup} warm-up (PINGs: Rust, reference, its copy and the empty Worker taking turns in ${ROUNDS} rounds), loopback, workerd ${compatibilityDate}`);
  console.log('\nsize (gzip -9)');
  line('  Rust Worker: wasm + JS glue', `${kb(sizes.rust)} (wasm ${kb(sizes.wasm)}, glue and entry ${kb(sizes.glue)}); target ≤ 150 KB`);
  line('  JavaScript reference bundle', kb(sizes.reference));
  console.log('\ninstantiation (compile + instantiate in V8, median of 7 fresh Node processes)');
  line('  Rust Worker (wasm module)', `${ms(instantiation.rust)}; target < 10 ms`);
  line('  JavaScript reference (bundle import, less an empty module)', ms(instantiation.reference));
  for (const place of PLACES) {
    const [rust, reference, referenceCopy, floor] = SERVERS.map((server) => results[place[server]]);
    console.log(`\n${place.where} (CPU: every process of the server's group; PINGs: p50 and CPU medians of ${runs} runs, p99 of all their requests)`);
    // p50 and CPU: the median over the runs, and for a ratio the median of each run's ratio
    // (each server measured in the same rounds as the reference). p99: over the requests of
    // every run together. One run's p99 rests on its slowest 1% (30 requests of 3,000), which
    // pauses of the shared machine decide: one build's bare-workerd p99 ratio ranged 0.58–1.73
    // from run to run.
    const medianOf = (perRun, key) => median(perRun.map((run) => run[key]));
    const pooledP99 = (perRun) => percentile(perRun.flatMap((run) => run.latencies).sort((a, b) => a - b), 99);
    const figuresOf = (perRun) => ({ p50: medianOf(perRun, 'p50'), p99: pooledP99(perRun), cpuUs: medianOf(perRun, 'cpuUs') });
    const ratiosTo = (server) => server.pings.map((run, i) => Object.fromEntries(PING_FIGURES.map((key) => [key, run[key] / reference.pings[i][key]])));
    const ratioTo = (server) => {
      const ratios = ratiosTo(server);
      return { p50: medianOf(ratios, 'p50'), p99: pooledP99(server.pings) / pooledP99(reference.pings), cpuUs: medianOf(ratios, 'cpuUs') };
    };
    const shown = ({ p50, p99, cpuUs }) => `p50 ${p50.toFixed(2)}×  p99 ${p99.toFixed(2)}×  CPU ${cpuUs.toFixed(2)}×`;
    line('  signed PING, Rust', figures(figuresOf(rust.pings)));
    line('  signed PING, JavaScript reference', figures(figuresOf(reference.pings)));
    const eachRun = (server) => ratiosTo(server).map((run) => PING_FIGURES.map((key) => run[key].toFixed(2)).join('/')).join('  ');
    line('  ratio Rust / reference (target ≤ 1.0)', shown(ratioTo(rust)));
    line('    each run', eachRun(rust));
    // The reference against a copy of itself: how far from 1.0 identical code lands here, the
    // least difference the Rust ratio can show. The empty Worker's ratio says how much of the
    // reference's PING is Worker code at all: the Rust ratio can tell the two Workers apart only
    // by differences within that share.
    line('  ratio reference copy / reference', shown(ratioTo(referenceCopy)));
    line('    each run', eachRun(referenceCopy));
    line('  PING, empty Worker (checks nothing)', figures(figuresOf(floor.pings)));
    line('  ratio empty Worker / reference', shown(ratioTo(floor)));
    line('  signed /ship (one insert), Rust', `${figures(rust.ship)}; p99 target < 50 ms`);
  }
  console.log('\nthe local database alone (testkit dev-db, debug build)');
  line('  one insert pipeline, sent directly', `p50 ${ms(database.p50)}  p99 ${ms(database.p99)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench-edge: ${error.stack ?? error}`);
    process.exit(1);
  },
);
