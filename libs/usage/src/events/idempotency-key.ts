import { createHash } from 'node:crypto';

/**
 * The key used when the caller gives none: the same (tenant, agent, action, resource) always maps
 * to the same key, so one resource is never counted twice.
 */
export function deriveIdempotencyKey(tenantId: string, agent: string, actionType: string, resourceId: string): string {
  const digest = createHash('sha256').update(`${tenantId}\u0000${agent}\u0000${actionType}\u0000${resourceId}`).digest('hex');
  return `auto:${digest}`;
}
