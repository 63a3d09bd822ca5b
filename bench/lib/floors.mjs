/**
 * Raw floors: the least work a checkpoint saver can do on the same servers, written as savers so
 * they run the same workload and their answers are checked like everyone else's.
 *
 * RawRedisSaver: the whole checkpoint (values included) + metadata + parent id serialized once,
 *   `put` = one pipelined SET + ZADD, `putWrites` = one HSET, `getTuple` by id = GET + HGETALL
 *   (one round trip), latest and `list` = one small Lua script each.
 * RawPostgresSaver: the same serialized blob in one bytea column; `put` = one INSERT,
 *   `putWrites` = one INSERT, `getTuple`/`list` = one SELECT by key (writes aggregated in it),
 *   named prepared statements.
 * bulkInsertFloor: multi-row INSERT ... SELECT FROM unnest of exactly the rows a migration wrote,
 *   into identical tables, same batch size, one transaction per batch.
 */
import { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import { pack, unpack } from '../../dist/hot-tier/record-codec.js';

const LATEST = `
local id = redis.call('ZREVRANGEBYLEX', KEYS[1], '+', '-', 'LIMIT', 0, 1)[1]
if not id then return {} end
return { id, redis.call('GET', ARGV[1] .. 'cp:' .. id), redis.call('HGETALL', ARGV[1] .. 'w:' .. id) }
`;
const LIST = `
local ids = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[2], '-', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = { id, redis.call('GET', ARGV[1] .. 'cp:' .. id), redis.call('HGETALL', ARGV[1] .. 'w:' .. id) }
end
return out
`;

function sortWrites(writes) {
  return writes.sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.idx - b.idx));
}

export class RawRedisSaver extends BaseCheckpointSaver {
  constructor({ redisUrl, prefix }) {
    super();
    this.prefix = prefix;
    this.client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.client.on('error', () => undefined);
    this.client.defineCommand('rawLatest', { numberOfKeys: 1, lua: LATEST });
    this.client.defineCommand('rawList', { numberOfKeys: 1, lua: LIST });
  }
  async setup() {
    await this.client.connect();
  }
  async end() {
    await this.client.quit();
  }
  base(threadId, ns) {
    return `${this.prefix}:{${threadId}}:${ns}:`;
  }

  async put(config, checkpoint, metadata) {
    const { thread_id: threadId, checkpoint_ns: ns = '', checkpoint_id: parentId } = config.configurable;
    const [type, bytes] = await this.serde.dumpsTyped({ checkpoint, metadata, parentId: parentId ?? null });
    const base = this.base(threadId, ns);
    await Promise.all([this.client.set(`${base}cp:${checkpoint.id}`, pack([type, bytes])), this.client.zadd(`${base}idx`, 0, checkpoint.id)]);
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config, writes, taskId) {
    const { thread_id: threadId, checkpoint_ns: ns = '', checkpoint_id: id } = config.configurable;
    const args = [];
    await Promise.all(
      writes.map(async ([channel, value], idx) => {
        const [type, bytes] = await this.serde.dumpsTyped(value);
        args[idx * 2] = `${taskId}\0${idx}`;
        args[idx * 2 + 1] = pack([channel, type, bytes]);
      }),
    );
    await this.client.hset(`${this.base(threadId, ns)}w:${id}`, ...args);
  }

  async decode(threadId, ns, id, value, writesFlat) {
    if (!value) return undefined;
    const [type, bytes] = unpack(value, 2);
    const { checkpoint, metadata, parentId } = await this.serde.loadsTyped(type.toString(), bytes);
    const writes = [];
    for (let i = 0; i + 1 < writesFlat.length; i += 2) {
      const field = writesFlat[i].toString();
      const at = field.lastIndexOf('\0');
      const [channel, wtype, wbytes] = unpack(writesFlat[i + 1], 3);
      writes.push({ taskId: field.slice(0, at), idx: Number(field.slice(at + 1)), channel: channel.toString(), type: wtype.toString(), bytes: wbytes });
    }
    sortWrites(writes);
    const pendingWrites = await Promise.all(writes.map(async (w) => [w.taskId, w.channel, await this.serde.loadsTyped(w.type, w.bytes)]));
    const ids = { thread_id: threadId, checkpoint_ns: ns };
    return {
      config: { configurable: { ...ids, checkpoint_id: id } },
      checkpoint,
      metadata,
      parentConfig: parentId ? { configurable: { ...ids, checkpoint_id: parentId } } : undefined,
      pendingWrites,
    };
  }

  async getTuple(config) {
    const { thread_id: threadId, checkpoint_ns: ns = '', checkpoint_id: id } = config.configurable ?? {};
    const base = this.base(threadId, ns);
    if (id) {
      const [value, writes] = await Promise.all([this.client.getBuffer(`${base}cp:${id}`), this.client.hgetallBuffer(`${base}w:${id}`)]);
      return this.decode(threadId, ns, id, value, Object.entries(writes).flatMap(([f, v]) => [f, v]));
    }
    const reply = await this.client.rawLatestBuffer(`${base}idx`, base);
    if (reply.length === 0) return undefined;
    return this.decode(threadId, ns, reply[0].toString(), reply[1], reply[2]);
  }

  async *list(config, options = {}) {
    const { thread_id: threadId, checkpoint_ns: ns = '' } = config.configurable ?? {};
    if (options.filter && Object.keys(options.filter).length > 0) throw new Error('RawRedisSaver.list: filter not supported');
    const base = this.base(threadId, ns);
    const before = options.before?.configurable?.checkpoint_id;
    const reply = await this.client.rawListBuffer(`${base}idx`, base, before ? `(${before}` : '+', String(options.limit ?? 1_000_000));
    const tuples = await Promise.all(reply.map(([id, value, writes]) => this.decode(threadId, ns, id.toString(), value, writes)));
    for (const t of tuples) if (t) yield t;
  }

  async deleteThread() {
    throw new Error('not used by the bench');
  }
}

export class RawPostgresSaver extends BaseCheckpointSaver {
  /** @param {{ pool: import('pg').Pool, schema: string }} o */
  constructor({ pool, schema }) {
    super();
    this.pool = pool;
    this.schema = schema;
    const s = `"${schema}"`;
    const writesJoin = `LEFT JOIN LATERAL (
        SELECT array_agg(w.task_id ORDER BY w.task_id, w.idx) AS task_ids, array_agg(w.idx ORDER BY w.task_id, w.idx) AS idxs,
               array_agg(w.channel ORDER BY w.task_id, w.idx) AS channels, array_agg(w.type ORDER BY w.task_id, w.idx) AS types,
               array_agg(w.blob ORDER BY w.task_id, w.idx) AS blobs
        FROM ${s}.w w WHERE w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id) wr ON TRUE`;
    const cols = `c.checkpoint_id, c.parent_id, c.type, c.data, wr.task_ids, wr.idxs, wr.channels, wr.types, wr.blobs`;
    this.sql = {
      put: { name: `${schema}_put`, text: `INSERT INTO ${s}.cp (thread_id, checkpoint_ns, checkpoint_id, parent_id, type, data) VALUES ($1, $2, $3, $4, $5, $6)` },
      putWrites: {
        name: `${schema}_putw`,
        text: `INSERT INTO ${s}.w (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
          SELECT $1, $2, $3, $4, r.idx, r.channel, r.type, r.blob FROM unnest($5::int4[], $6::text[], $7::text[], $8::bytea[]) AS r(idx, channel, type, blob)`,
      },
      byId: { name: `${schema}_byid`, text: `SELECT ${cols} FROM ${s}.cp c ${writesJoin} WHERE c.thread_id = $1 AND c.checkpoint_ns = $2 AND c.checkpoint_id = $3` },
      latest: {
        name: `${schema}_latest`,
        text: `SELECT ${cols} FROM (SELECT * FROM ${s}.cp WHERE thread_id = $1 AND checkpoint_ns = $2 ORDER BY checkpoint_id DESC LIMIT 1) c ${writesJoin}`,
      },
      list: {
        name: `${schema}_list`,
        text: `SELECT ${cols} FROM (SELECT * FROM ${s}.cp WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id < $3 ORDER BY checkpoint_id DESC LIMIT $4) c ${writesJoin} ORDER BY c.checkpoint_id DESC`,
      },
    };
  }

  async setup() {
    const s = `"${this.schema}"`;
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${s}.cp (
      thread_id text NOT NULL, checkpoint_ns text NOT NULL, checkpoint_id text COLLATE "C" NOT NULL,
      parent_id text, type text NOT NULL, data bytea NOT NULL,
      PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))`);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${s}.w (
      thread_id text NOT NULL, checkpoint_ns text NOT NULL, checkpoint_id text COLLATE "C" NOT NULL,
      task_id text NOT NULL, idx int4 NOT NULL, channel text NOT NULL, type text NOT NULL, blob bytea NOT NULL,
      PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx))`);
  }
  async end() {
    await this.pool.end();
  }

  async put(config, checkpoint, metadata) {
    const { thread_id: threadId, checkpoint_ns: ns = '', checkpoint_id: parentId } = config.configurable;
    const [type, bytes] = await this.serde.dumpsTyped({ checkpoint, metadata, parentId: parentId ?? null });
    await this.pool.query({ ...this.sql.put, values: [threadId, ns, checkpoint.id, parentId ?? null, type, Buffer.from(bytes)] });
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config, writes, taskId) {
    const { thread_id: threadId, checkpoint_ns: ns = '', checkpoint_id: id } = config.configurable;
    const dumped = await Promise.all(writes.map(([, value]) => this.serde.dumpsTyped(value)));
    await this.pool.query({
      ...this.sql.putWrites,
      values: [threadId, ns, id, taskId, writes.map((_, i) => i), writes.map(([c]) => c), dumped.map(([t]) => t), dumped.map(([, b]) => Buffer.from(b))],
    });
  }

  async decode(threadId, ns, row) {
    const { checkpoint, metadata, parentId } = await this.serde.loadsTyped(row.type, row.data);
    const pendingWrites = row.task_ids
      ? await Promise.all(row.task_ids.map(async (taskId, i) => [taskId, row.channels[i], await this.serde.loadsTyped(row.types[i], row.blobs[i])]))
      : [];
    const ids = { thread_id: threadId, checkpoint_ns: ns };
    return {
      config: { configurable: { ...ids, checkpoint_id: row.checkpoint_id } },
      checkpoint,
      metadata,
      parentConfig: parentId ? { configurable: { ...ids, checkpoint_id: parentId } } : undefined,
      pendingWrites,
    };
  }

  async getTuple(config) {
    const { thread_id: threadId, checkpoint_ns: ns = '', checkpoint_id: id } = config.configurable ?? {};
    const { rows } = id
      ? await this.pool.query({ ...this.sql.byId, values: [threadId, ns, id] })
      : await this.pool.query({ ...this.sql.latest, values: [threadId, ns] });
    return rows.length > 0 ? this.decode(threadId, ns, rows[0]) : undefined;
  }

  async *list(config, options = {}) {
    const { thread_id: threadId, checkpoint_ns: ns = '' } = config.configurable ?? {};
    if (options.filter && Object.keys(options.filter).length > 0) throw new Error('RawPostgresSaver.list: filter not supported');
    const before = options.before?.configurable?.checkpoint_id ?? '\u{10FFFF}';
    const { rows } = await this.pool.query({ ...this.sql.list, values: [threadId, ns, before, options.limit ?? null] });
    const tuples = await Promise.all(rows.map((r) => this.decode(threadId, ns, r)));
    for (const t of tuples) yield t;
  }

  async deleteThread() {
    throw new Error('not used by the bench');
  }
}

/**
 * Inserts the rows that migration wrote into `fromSchema` into the identical, empty tables of
 * `toSchema` with multi-row INSERT ... SELECT FROM unnest (binary parameters), in batches of
 * `batchSize` checkpoints, one transaction per batch. Rows are read before the clock starts.
 * Returns { checkpoints, blobs, writes, ms }.
 */
export async function bulkInsertFloor(pool, fromSchema, toSchema, batchSize) {
  const f = `"${fromSchema}"`;
  const t = `"${toSchema}"`;
  const cps = (
    await pool.query(
      `SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint::text AS checkpoint, metadata::text AS metadata
       FROM ${f}.checkpoints ORDER BY thread_id, checkpoint_ns, checkpoint_id`,
    )
  ).rows;
  const blobs = (await pool.query(`SELECT * FROM ${f}.checkpoint_blobs ORDER BY thread_id, checkpoint_ns, channel, version`)).rows;
  const writes = (await pool.query(`SELECT * FROM ${f}.checkpoint_writes ORDER BY thread_id, checkpoint_ns, checkpoint_id, task_id, idx`)).rows;
  const batches = Math.max(1, Math.ceil(cps.length / batchSize));
  const slice = (rows, b) => rows.slice(Math.floor((rows.length * b) / batches), Math.floor((rows.length * (b + 1)) / batches));
  const client = await pool.connect();
  const started = performance.now();
  try {
    for (let b = 0; b < batches; b += 1) {
      const c = slice(cps, b);
      const bl = slice(blobs, b);
      const w = slice(writes, b);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO ${t}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
         SELECT r.a, r.b, r.c, r.d, r.e::jsonb, r.f::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS r(a, b, c, d, e, f)`,
        [c.map((r) => r.thread_id), c.map((r) => r.checkpoint_ns), c.map((r) => r.checkpoint_id), c.map((r) => r.parent_checkpoint_id), c.map((r) => r.checkpoint), c.map((r) => r.metadata)],
      );
      await client.query(
        `INSERT INTO ${t}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])`,
        [bl.map((r) => r.thread_id), bl.map((r) => r.checkpoint_ns), bl.map((r) => r.channel), bl.map((r) => r.version), bl.map((r) => r.type), bl.map((r) => r.blob)],
      );
      await client.query(
        `INSERT INTO ${t}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::text[], $7::text[], $8::bytea[], $9::text[])`,
        [
          w.map((r) => r.thread_id),
          w.map((r) => r.checkpoint_ns),
          w.map((r) => r.checkpoint_id),
          w.map((r) => r.task_id),
          w.map((r) => r.idx),
          w.map((r) => r.channel),
          w.map((r) => r.type),
          w.map((r) => r.blob),
          w.map((r) => r.task_path),
        ],
      );
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
  return { checkpoints: cps.length, blobs: blobs.length, writes: writes.length, batches, ms: performance.now() - started };
}
