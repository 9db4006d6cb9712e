export { withDatabase, ensureDatabase, dropDatabase } from './database-admin';
export { resolvePostgres, resolveRedis, resolveRuntimeServices, EMBEDDED_POSTGRES_PORT } from './local-services';
export type { ResolvedService, RuntimeServices } from './local-services';
export * from './demo/demo-seed';
export * from './demo/demo-traffic';
export { ensureWebBuild, webBuildReason } from './web-build';
