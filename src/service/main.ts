import 'reflect-metadata';
import { ConsoleLogger, LOG_LEVELS, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CHECKPOINTER_CONFIG,
  SERVICE_CONFIG,
  enabledLogLevels,
  redactUrl,
  type ServiceSettings,
} from '../config/service.config.js';
import { resolveOptions, type TieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { InvalidOptionsError } from '../errors/tiered-checkpoint.errors.js';
import { AppModule } from './app.module.js';

/**
 * Entry point of the standalone service. Configuration comes from `process.env` and `.env`
 * (see `.env.example`), validated once; an invalid environment ends the process with exit
 * code 1 and every problem listed.
 */
/**
 * The logger until the validated settings are known: the format and level read raw from the
 * environment (a `.env` file is only read during boot), so even a boot that fails on its
 * configuration prints JSON lines unless LOG_FORMAT=text.
 */
const json = process.env.LOG_FORMAT?.trim().toLowerCase() !== 'text';
const rawLevel = LOG_LEVELS.find((l) => l === process.env.LOG_LEVEL?.trim().toLowerCase());
const bootLogger = new ConsoleLogger({ json, logLevels: enabledLogLevels(rawLevel ?? 'log') });

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule.forRoot(), {
    logger: bootLogger,
    // Logs are held until LOG_LEVEL is known, then printed at that level.
    bufferLogs: true,
    // A bad environment must end with its list of problems, not with a core dump.
    abortOnError: false,
  });
  const service = app.get<ServiceSettings>(SERVICE_CONFIG);
  // Structured logs by default: one JSON object per line for the log shipper.
  app.useLogger(new ConsoleLogger({ json: service.logFormat === 'json', logLevels: enabledLogLevels(service.logLevel) }));
  // SIGTERM/SIGINT run the shutdown hooks: the migration job finishes or gives up its lease,
  // and the stores close their clients.
  app.enableShutdownHooks();
  await app.listen(service.port, service.host);

  const options = resolveOptions(app.get<TieredCheckpointOptions>(CHECKPOINTER_CONFIG));
  // URLs are redacted: credentials and query strings never reach the logs.
  new Logger('TieredCheckpointer').log(
    `listening on http://${service.host}:${service.port}; redis ${redactUrl(options.redisUrl)} prefix "${options.keyPrefix}", ` +
      `postgres ${redactUrl(options.databaseUrl)} schema "${options.schema}", hot window ${options.hotWindowMs / 3_600_000} h, ` +
      `migration ${options.migrationEnabled ? `"${options.migrationCron}"` : 'disabled'}`,
  );
}

bootstrap().catch((error: unknown) => {
  // Configuration problems are printed as their list, the last thing an operator sees (one JSON
  // line for the log shipper, or plain text with LOG_FORMAT=text).
  if (json) {
    const problems = error instanceof InvalidOptionsError ? error.problems : undefined;
    console.error(JSON.stringify({ level: 'fatal', context: 'TieredCheckpointer', message: `boot failed: ${error instanceof Error ? error.message : String(error)}`, ...(problems ? { problems } : {}) }));
  } else {
    console.error(error instanceof InvalidOptionsError ? error.message : error);
  }
  // A failed boot must end the process (an orchestrator restarts it), even when a store that
  // did connect still holds a socket open. stderr is synchronous on Linux, so nothing is lost.
  process.exit(1);
});
