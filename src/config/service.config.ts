import { LOG_LEVELS, type DynamicModule, type LogLevel } from '@nestjs/common';
import { ConfigModule, getConfigToken, registerAs } from '@nestjs/config';
import type { TieredCheckpointOptions } from './tiered-checkpoint.options.js';
import { toCheckpointerOptions, validateEnv, type EnvSource, type ValidatedEnv } from './env.schema.js';

/**
 * Namespaced configuration of the standalone service: `checkpointer` (the library's
 * {@link TieredCheckpointOptions}) and `service` (HTTP and logging), both built from the
 * environment validated once by {@link validateEnv}.
 *
 * Inject them with `@Inject(CHECKPOINTER_CONFIG)` / `@Inject(SERVICE_CONFIG)`, or pass the
 * token in `inject: [...]` of an async module factory.
 */

/** Namespace of the library options. */
export const CHECKPOINTER_NAMESPACE = 'checkpointer';
/** Namespace of the service's own settings. */
export const SERVICE_NAMESPACE = 'service';
/** Injection token of the `checkpointer` namespace ({@link TieredCheckpointOptions}). */
export const CHECKPOINTER_CONFIG = getConfigToken(CHECKPOINTER_NAMESPACE);
/** Injection token of the `service` namespace ({@link ServiceSettings}). */
export const SERVICE_CONFIG = getConfigToken(SERVICE_NAMESPACE);

/** The service's own settings. */
export interface ServiceSettings {
  /** HTTP port. Default 3000 (`PORT`). */
  port: number;
  /** Bind address. Default `0.0.0.0` (`HOST`). */
  host: string;
  /** Lowest level logged. Default `log` (`LOG_LEVEL`). */
  logLevel: LogLevel;
  /** `json` (default) or `text` logs (`LOG_FORMAT`). */
  logFormat: 'json' | 'text';
  /** How long readiness answers 503 after SIGTERM before shutdown proceeds. Default 5000 ms (`SHUTDOWN_GRACE_MS`). */
  shutdownGraceMs: number;
  /** Bearer token of the admin API; undefined turns the admin API off (`ADMIN_TOKEN`). */
  adminToken?: string;
}

/** Maps validated variables to {@link ServiceSettings}. */
export function toServiceSettings(env: ValidatedEnv): ServiceSettings {
  return { port: env.PORT, host: env.HOST, logLevel: env.LOG_LEVEL, logFormat: env.LOG_FORMAT, shutdownGraceMs: env.SHUTDOWN_GRACE_MS, adminToken: env.ADMIN_TOKEN };
}

/** The levels Nest prints for a minimum level: `warn` → warn, error, fatal. */
export function enabledLogLevels(minimum: LogLevel): LogLevel[] {
  return LOG_LEVELS.slice(LOG_LEVELS.indexOf(minimum));
}

/**
 * A URL fit for logs: scheme, host, port and path only. User, password and the query string
 * (where `password=` or `sslpassword=` may hide) are dropped; an unparsable value is not echoed.
 */
export function redactUrl(url: string | undefined): string {
  if (!url) return '(unset)';
  try {
    const parsed = new URL(url);
    // Without a host it is not a network address (e.g. "secret:word" parses as a scheme).
    if (!parsed.host) return '(unparsable URL)';
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** Options of {@link ServiceConfigModule.forRoot}. */
export interface ServiceConfigModuleOptions {
  /**
   * Variables to validate instead of `process.env` plus the `.env` file. Tests pass their own,
   * so they neither read nor mutate the process environment. Default: `process.env` and `.env`.
   */
  env?: EnvSource;
  /** `.env` file(s) read when `env` is not given. Default `.env` in the working directory. */
  envFilePath?: string | string[];
}

/**
 * Registers `ConfigModule` globally with the service's validation and both namespaces.
 *
 * The validated environment is kept in this call's closure and handed to the namespace
 * factories, so every factory sees exactly what was validated (no second parse, no
 * process-wide state shared between two apps built in one process).
 */
export class ServiceConfigModule {
  /** Validates (throwing {@link InvalidOptionsError} listing every problem) and registers. */
  static forRoot(options: ServiceConfigModuleOptions = {}): Promise<DynamicModule> {
    let validated: ValidatedEnv | undefined;
    const env = (): ValidatedEnv => {
      // ConfigModule runs `validate` before it builds providers; this guards a future change.
      if (!validated) throw new Error('ServiceConfigModule: the environment was not validated before use');
      return validated;
    };
    const module = ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      ...(options.env !== undefined
        ? { ignoreEnvFile: true, validatePredefined: false, skipProcessEnv: true }
        : { envFilePath: options.envFilePath }),
      validate: (config) => {
        validated = validateEnv(options.env ?? config);
        return validated as unknown as Record<string, unknown>;
      },
      load: [
        registerAs(CHECKPOINTER_NAMESPACE, (): TieredCheckpointOptions => toCheckpointerOptions(env())),
        registerAs(SERVICE_NAMESPACE, (): ServiceSettings => toServiceSettings(env())),
      ],
    });
    // Nest awaits this promise only once it scans the imports; marking it handled here keeps a
    // configuration error from also surfacing as an unhandled rejection before that.
    module.catch(() => undefined);
    return module;
  }
}
