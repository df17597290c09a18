// Drives dev-db with @libsql/client, the npm client no one here wrote, for
// testkit/tests/dev_db_node_client.rs: reads what the Rust side wrote, writes through every
// client API (execute, batch, interactive transactions, executeMultiple) and prints what it
// observed as one JSON object on stdout. Env: DEV_DB_URL, DEV_DB_TOKEN.
import { createClient } from "@libsql/client";

const url = process.env.DEV_DB_URL;
const authToken = process.env.DEV_DB_TOKEN;
// bigint keeps 64-bit integers exact; the default would turn them into lossy numbers.
const client = createClient({ url, authToken, intMode: "bigint" });

// Values typed as Hrana types them (blobs in hex), so the Rust side compares them exactly.
function typed(value) {
  if (value === null) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: value.toString() };
  if (typeof value === "number") return { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) {
    return { type: "blob", hex: Buffer.from(value).toString("hex") };
  }
  throw new Error(`unexpected value ${value}`);
}

async function rows(sql) {
  const result = await client.execute(sql);
  return result.rows.map((row) => Array.from(row, typed));
}

async function count() {
  const result = await client.execute("SELECT count(*) AS n FROM from_node");
  return result.rows[0].n.toString();
}

async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return { code: err.code ?? null, message: String(err.message) };
  }
}

const report = {};
report.fromRust = await rows("SELECT * FROM from_rust ORDER BY id");

await client.execute(
  "CREATE TABLE from_node (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB)",
);
const positional = await client.execute({
  sql: "INSERT INTO from_node VALUES (?, ?, ?, ?, ?)",
  args: [1n, -9007199254740993n, 0.25, "node ✓", new Uint8Array([1, 2, 3])],
});
report.positional = {
  rowsAffected: positional.rowsAffected,
  lastInsertRowid: positional.lastInsertRowid?.toString() ?? null,
};
await client.execute({
  sql: "INSERT INTO from_node (id, t) VALUES (:id, :t)",
  args: { id: 2n, t: "named" },
});

const batch = await client.batch(
  [
    { sql: "INSERT INTO from_node (id, t) VALUES (?, ?)", args: [3n, "batch-a"] },
    { sql: "INSERT INTO from_node (id, t) VALUES (?, ?)", args: [4n, "batch-b"] },
  ],
  "write",
);
report.batchRowsAffected = batch.map((result) => result.rowsAffected);

report.failedBatch = await failure(
  client.batch(
    [
      "INSERT INTO from_node (id, t) VALUES (5, 'never')",
      "INSERT INTO from_node (id, t) VALUES (1, 'duplicate')",
    ],
    "write",
  ),
);
report.countAfterFailedBatch = await count();

const committed = await client.transaction("write");
await committed.execute("INSERT INTO from_node (id, t) VALUES (6, 'committed')");
const inside = await committed.execute("SELECT count(*) AS n FROM from_node");
report.countInsideTransaction = inside.rows[0].n.toString();
report.countOutsideOpenTransaction = await count();
await committed.commit();
report.countAfterCommit = await count();

const rolledBack = await client.transaction("write");
await rolledBack.execute("INSERT INTO from_node (id, t) VALUES (7, 'rolled back')");
await rolledBack.rollback();
report.countAfterRollback = await count();

await client.executeMultiple(
  "INSERT INTO from_node (id, t) VALUES (8, 'seq-a'); INSERT INTO from_node (id, t) VALUES (9, 'seq-b');",
);

const intruder = createClient({ url, authToken: "wrong-token" });
report.wrongToken = await failure(intruder.execute("SELECT 1"));
intruder.close();

client.close();
process.stdout.write(JSON.stringify(report));
