import { IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { configSection } from '../config-section';

class JwtEnvDto {
  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional() @IsString() @Matches(/-----BEGIN PUBLIC KEY-----/, { message: 'JWT_PUBLIC_KEY must be a PEM public key' })
  JWT_PUBLIC_KEY?: string;

  @IsOptional() @IsString()
  JWT_ISSUER?: string;

  @IsOptional() @IsString()
  JWT_AUDIENCE?: string;
}

/** Keys and claims of bearer tokens: the API verifies with them, `npm run token` signs with them. */
export interface JwtConfig {
  auth: { jwtSecret?: string; jwtPublicKey?: string; issuer?: string; audience?: string };
}

export const jwtSection = configSection({
  name: 'jwt',
  dto: JwtEnvDto,
  toConfig: (env): JwtConfig => ({
    auth: { jwtSecret: env.JWT_SECRET, jwtPublicKey: env.JWT_PUBLIC_KEY, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE },
  }),
});
