import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { TieredCheckpointError, type TieredCheckpointErrorCode } from '../../errors/tiered-checkpoint.errors.js';

const STATUS: Record<TieredCheckpointErrorCode, number> = {
  INVALID_OPTIONS: 500,
  INVALID_CHECKPOINT_CONFIG: 400,
  INVALID_CHECKPOINT: 400,
  INVALID_WRITES: 400,
  PAYLOAD_TOO_LARGE: 413,
  STORE_UNAVAILABLE: 503,
  LEASE_LOST: 409,
  STORE_CORRUPTED: 500,
  THREAD_EXPIRED: 410,
};

/** Maps the library's typed errors to HTTP statuses (the library itself throws no HTTP errors). */
@Catch(TieredCheckpointError)
export class CheckpointErrorFilter implements ExceptionFilter {
  catch(error: TieredCheckpointError, host: ArgumentsHost): void {
    const status = STATUS[error.code] ?? 500;
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(status)
      .json({ statusCode: status, code: error.code, message: error.message });
  }
}

