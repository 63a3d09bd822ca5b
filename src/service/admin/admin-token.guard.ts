import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, NotFoundException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SERVICE_CONFIG, type ServiceSettings } from '../../config/service.config.js';

/**
 * Admin API access: `Authorization: Bearer <ADMIN_TOKEN>`. With no token configured the admin
 * API does not exist (404), so a deployment that forgot the token exposes nothing. Tokens are
 * compared in constant time (over their hashes, so lengths do not leak either).
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(SERVICE_CONFIG) settings: ServiceSettings) {
    this.expected = settings.adminToken ? createHash('sha256').update(settings.adminToken).digest() : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new NotFoundException();
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
    if (!match || !timingSafeEqual(given, this.expected)) throw new UnauthorizedException('a valid bearer token is required');
    return true;
  }
}
