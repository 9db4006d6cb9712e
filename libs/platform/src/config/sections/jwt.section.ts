import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { configSection } from '../config-section';
import { KNOWN_EXAMPLE_SECRETS } from '../known-example-secrets';

class JwtEnvDto {
  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional() @IsString() @Matches(/-----BEGIN PUBLIC KEY-----/, { message: 'JWT_PUBLIC_KEY must be a PEM public key' })
  JWT_PUBLIC_KEY?: string;

  @IsOptional() @IsString()
  JWT_ISSUER?: string;

  @IsOptional() @IsString()
  JWT_AUDIENCE?: string;

  /** Seconds of clock skew allowed between the token issuer and this process (exp, nbf, iat). */
  @IsInt() @Min(0) @Max(300)
  JWT_CLOCK_TOLERANCE_SECONDS!: number;

  /** A token issued (`iat`) longer ago than this is refused whatever its `exp` says. */
  @IsInt() @Min(60) @Max(30 * 86_400)
  JWT_MAX_AGE_SECONDS!: number;
}

/** Keys and claims of bearer tokens: the API verifies with them, `npm run token` signs with them. */
export interface JwtConfig {
  auth: {
    jwtSecret?: string;
    jwtPublicKey?: string;
    issuer?: string;
    audience?: string;
    clockToleranceSeconds: number;
    maxAgeSeconds: number;
  };
}

export const jwtSection = configSection({
  name: 'jwt',
  dto: JwtEnvDto,
  defaults: { JWT_CLOCK_TOLERANCE_SECONDS: '30', JWT_MAX_AGE_SECONDS: '86400' },
  // In production a token must say who issued it and for whom, so a token of another system
  // signed with a shared key is not accepted; and a published example secret is no secret.
  check: (values, env) => {
    if (env.NODE_ENV !== 'production') return [];
    const problems: string[] = [];
    if (!values.JWT_ISSUER) problems.push('JWT_ISSUER must be set in production');
    if (!values.JWT_AUDIENCE) problems.push('JWT_AUDIENCE must be set in production');
    if (values.JWT_SECRET && KNOWN_EXAMPLE_SECRETS.has(values.JWT_SECRET)) {
      problems.push('JWT_SECRET is a published example value; set a random secret in production');
    }
    return problems;
  },
  toConfig: (env): JwtConfig => ({
    auth: {
      jwtSecret: env.JWT_SECRET,
      jwtPublicKey: env.JWT_PUBLIC_KEY,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
      maxAgeSeconds: env.JWT_MAX_AGE_SECONDS,
    },
  }),
});
