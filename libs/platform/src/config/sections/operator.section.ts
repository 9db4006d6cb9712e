import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { configSection } from '../config-section';
import { KNOWN_EXAMPLE_SECRETS } from '../known-example-secrets';

class OperatorEnvDto {
  @IsOptional() @IsString() @MinLength(1)
  OPERATOR_USERNAME?: string;

  @IsOptional() @IsString() @MinLength(12, { message: 'OPERATOR_PASSWORD must be at least 12 characters' })
  OPERATOR_PASSWORD?: string;

  /** Failed basic-auth logins from one IP within OPERATOR_LOCKOUT_SECONDS before that IP is locked out. */
  @IsInt() @Min(1) @Max(1000)
  OPERATOR_LOGIN_MAX_FAILURES!: number;

  @IsInt() @Min(10) @Max(86_400)
  OPERATOR_LOCKOUT_SECONDS!: number;
}

/** Basic-auth operators of the API's Bull Board (read-only; writes need a token with role `admin`). */
export interface OperatorConfig {
  auth: { operatorUsername?: string; operatorPassword?: string; operatorLoginMaxFailures: number; operatorLockoutSeconds: number };
}

export const operatorSection = configSection({
  name: 'operator',
  dto: OperatorEnvDto,
  defaults: { OPERATOR_LOGIN_MAX_FAILURES: '5', OPERATOR_LOCKOUT_SECONDS: '900' },
  check: (values, env) => {
    if (env.NODE_ENV !== 'production') return [];
    const problems: string[] = [];
    // A username without a password would leave the board to anyone who guesses the name.
    if (values.OPERATOR_USERNAME && !values.OPERATOR_PASSWORD) problems.push('OPERATOR_PASSWORD must be set when OPERATOR_USERNAME is set');
    if (values.OPERATOR_PASSWORD && KNOWN_EXAMPLE_SECRETS.has(values.OPERATOR_PASSWORD)) {
      problems.push('OPERATOR_PASSWORD is a published example value; set a random password in production');
    }
    return problems;
  },
  toConfig: (env): OperatorConfig => ({
    auth: {
      operatorUsername: env.OPERATOR_USERNAME,
      operatorPassword: env.OPERATOR_PASSWORD,
      operatorLoginMaxFailures: env.OPERATOR_LOGIN_MAX_FAILURES,
      operatorLockoutSeconds: env.OPERATOR_LOCKOUT_SECONDS,
    },
  }),
});
