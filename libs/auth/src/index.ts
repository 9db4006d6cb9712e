export { DEV_JWT_SECRET, resolveJwtKeys } from './jwt-keys';
export type { JwtKeys } from './jwt-keys';
export { mintToken } from './token-signer';
export type { MintTokenInput } from './token-signer';
