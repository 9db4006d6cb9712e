export { createApp } from './app';
export type { ApiDeps } from './app-deps';
export { resolveJwtKeys, DEV_JWT_SECRET } from './auth/jwt-keys';
export type { JwtKeys } from './auth/jwt-keys';
export { mintToken } from './auth/token-signer';
export { HttpProblem, sendProblem, PROBLEM_CONTENT_TYPE } from './errors/problem';
export { openApiDocument } from './openapi/openapi.document';
