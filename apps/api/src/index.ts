export { createApp } from './app';
export type { ApiDeps } from './app-deps';
export { createJwtAuthenticator } from './auth/jwt-auth';
export type { AuthenticatedUser, JwtAuthenticator } from './auth/jwt-auth';
export { HttpProblem, sendProblem, PROBLEM_CONTENT_TYPE } from './errors/problem';
export { openApiDocument } from './openapi/openapi.document';
