import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { StoreUnavailableError, TieredCheckpointError } from '../errors/tiered-checkpoint.errors.js';

/** Options of {@link createPrismaClient}. */
export interface PrismaClientFactoryOptions {
  /** `postgresql://user:password@host:port/db?sslmode=...`. Never logged nor put in an error. */
  databaseUrl: string;
  /** Schema the generated model API targets (raw SQL of the cold tier names it explicitly). */
  schema: string;
  /** Largest number of pooled connections. Default 10 (node-postgres' default). */
  poolMax?: number;
  /**
   * How long to wait for a new connection before failing. Default 10 000 ms. node-postgres waits
   * forever by default, which turns a black-holed host into a hang instead of an error.
   */
  connectionTimeoutMs?: number;
}

/** Default of {@link PrismaClientFactoryOptions.connectionTimeoutMs}. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;

/**
 * Creates a Prisma 7 client over `@prisma/adapter-pg` (no native engine). The caller owns it and
 * must `$disconnect()` it. No connection is opened until the first query.
 */
export function createPrismaClient(options: PrismaClientFactoryOptions): PrismaClient {
  // `$disconnect()` then ends the pool too: nothing else holds it, and idle connections would
  // otherwise keep the process alive for the pool's idle timeout.
  return createPrismaClientWithPool(options, { disposePool: true }).prisma;
}

/**
 * Like {@link createPrismaClient}, but the node-postgres pool under the adapter is returned too,
 * so the cold tier can run its hot-path reads as named prepared statements on the same
 * connections (Prisma's raw API re-plans every query). The caller ends the pool after
 * disconnecting the client.
 */
export function createPrismaClientWithPool(options: PrismaClientFactoryOptions, { disposePool = false }: { disposePool?: boolean } = {}): { prisma: PrismaClient; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
  });
  // Errors of idle connections surface through the next query; without a listener node-postgres
  // would crash the process on a server restart.
  pool.on('error', () => undefined);
  const adapter = new PrismaPg(pool, { schema: options.schema, disposeExternalPool: disposePool });
  return { prisma: new PrismaClient({ adapter }), pool };
}

/** Where a database URL points, without its password: `host:port/database (user "u")`. */
export function describeDatabaseUrl(databaseUrl: string | undefined): string | undefined {
  if (databaseUrl === undefined) return undefined;
  try {
    const url = new URL(databaseUrl);
    const host = url.hostname || url.searchParams.get('host') || 'localhost';
    const port = url.port || '5432';
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
    const user = url.username ? ` as user "${decodeURIComponent(url.username)}"` : '';
    return `${host}:${port}/${database}${user}`;
  } catch {
    return 'the configured databaseUrl (not a valid URL)';
  }
}

/** PostgreSQL SQLSTATEs that mean the server is not usable right now, not that the query is wrong. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '3D000', // invalid_catalog_name: database does not exist
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
]);

/** Prisma error codes of connection-level failures. */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1000', 'P1001', 'P1002', 'P1003', 'P1008', 'P1010', 'P1011', 'P1017', 'P2024']);

/** Socket-level error codes (node) anywhere in the cause chain. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Messages node-postgres throws without a code when a connection cannot be had or is lost. */
const CONNECTION_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /Client has encountered a connection error/i,
  /Can't reach database server/i,
  /server closed the connection/i,
  /Unable to start a transaction in the given time/i,
];

interface Diagnosis {
  /** Short reason, e.g. "cannot reach the database server". */
  reason: string;
  /** What to check. */
  hint: string;
  /** Host:port when the driver reported one. */
  target?: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** Walks an error, its `cause`s and Prisma's `meta.driverAdapterError` (bounded depth). */
function* errorChain(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 16) {
    const current = queue.shift();
    const record = asRecord(current);
    if (!record || seen.has(record)) continue;
    seen.add(record);
    yield record;
    queue.push(record.cause, asRecord(record.meta)?.driverAdapterError);
  }
}

const CHECK_SERVER = 'check that PostgreSQL is running and that the host and port in databaseUrl are right (and reachable from here)';
const CHECK_CREDENTIALS = 'check the user and password in databaseUrl and pg_hba.conf';
const CHECK_UP = 'check that PostgreSQL is up and accepting connections';

function isUnavailableSqlState(code: string | undefined): code is string {
  return code !== undefined && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code));
}

/** What the driver adapter said (`kind`), the most specific source: looked at first. */
function diagnoseAdapterError(e: Record<string, unknown>): Diagnosis | undefined {
  const target =
    typeof e.host === 'string' ? `${e.host}${typeof e.port === 'number' || typeof e.port === 'string' ? `:${e.port}` : ''}` : undefined;
  switch (e.kind) {
    case 'DatabaseNotReachable':
      return { reason: 'cannot reach the database server', hint: CHECK_SERVER, target };
    case 'SocketTimeout':
      return { reason: 'the connection timed out', hint: CHECK_SERVER };
    case 'ConnectionClosed':
      return { reason: 'the server closed the connection', hint: 'check that PostgreSQL is up and not restarting' };
    case 'TlsConnectionError':
      return { reason: `TLS connection failed (${String(e.reason ?? 'unknown reason')})`, hint: 'check sslmode and the server certificate' };
    case 'AuthenticationFailed':
      return { reason: 'authentication failed', hint: CHECK_CREDENTIALS };
    case 'DatabaseAccessDenied':
      return { reason: 'access to the database was denied', hint: CHECK_CREDENTIALS };
    case 'DatabaseDoesNotExist':
      return { reason: 'the database does not exist', hint: 'check the database name in databaseUrl, or create it' };
    case 'TooManyConnections':
      return { reason: 'the server has no free connection slots', hint: 'lower pool sizes or raise max_connections' };
    case 'postgres':
      return typeof e.code === 'string' && isUnavailableSqlState(e.code)
        ? { reason: `the server refused service (SQLSTATE ${e.code})`, hint: CHECK_UP }
        : undefined;
    default: {
      const originalCode = typeof e.originalCode === 'string' ? e.originalCode : undefined;
      return isUnavailableSqlState(originalCode) ? { reason: `the server refused service (SQLSTATE ${originalCode})`, hint: CHECK_UP } : undefined;
    }
  }
}

/** Node socket errors, pg errors, Prisma P1xxx codes and pg's code-less connection messages. */
function diagnoseOtherError(e: Record<string, unknown>): Diagnosis | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;
  const meta = asRecord(e.meta);
  const metaTarget = typeof meta?.database_host === 'string' ? `${meta.database_host}:${String(meta.database_port ?? 5432)}` : undefined;
  if (code && SOCKET_CODES.has(code)) {
    const target = typeof e.address === 'string' ? `${e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}` : undefined;
    return { reason: `cannot connect (${code})`, hint: CHECK_SERVER, target };
  }
  if (typeof e.severity === 'string' && isUnavailableSqlState(code)) {
    return { reason: `the server refused service (SQLSTATE ${code})`, hint: CHECK_UP };
  }
  if (code && UNAVAILABLE_PRISMA_CODES.has(code)) {
    return { reason: `cannot use the database (Prisma ${code})`, hint: CHECK_SERVER, target: metaTarget };
  }
  const message = typeof e.message === 'string' ? e.message : '';
  if (CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) {
    return { reason: 'cannot connect', hint: CHECK_SERVER };
  }
  return undefined;
}

/** Adapter kinds anywhere in the chain win over generic codes (Prisma's P1001 carries no host). */
function diagnose(error: unknown): Diagnosis | undefined {
  const chain = [...errorChain(error)];
  for (const e of chain) {
    if (typeof e.kind !== 'string') continue;
    const found = diagnoseAdapterError(e);
    if (found) return found;
  }
  for (const e of chain) {
    const found = diagnoseOtherError(e);
    if (found) return found;
  }
  return undefined;
}

/** Whether an error means PostgreSQL could not be reached or used (as opposed to a bad query). */
export function isPostgresUnavailable(error: unknown): boolean {
  return diagnose(error) !== undefined;
}

/** Removes the password of any `postgres(ql)://user:password@` URL embedded in a text. */
export function redactDatabaseUrls(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

/**
 * Maps a failure of a cold-tier operation: connection-level failures become
 * {@link StoreUnavailableError}('postgres') with a message naming the target (never the
 * password) and what to check; our own errors pass through; anything else is returned as is.
 *
 * @param operation what was being done, e.g. `"setup()"`.
 * @param databaseUrl the URL the store was built from, if any (only host, port, database and
 *   user are shown).
 */
export function toColdTierError(error: unknown, operation: string, databaseUrl?: string): unknown {
  if (error instanceof TieredCheckpointError) return error;
  const diagnosis = diagnose(error);
  if (!diagnosis) return error;
  const where = describeDatabaseUrl(databaseUrl) ?? diagnosis.target ?? 'the server of the given Prisma client';
  return new StoreUnavailableError(
    'postgres',
    redactDatabaseUrls(`${operation} failed: ${diagnosis.reason} at ${where}; ${diagnosis.hint}.`),
    { cause: error },
  );
}
