import { IsOptional, IsString, MinLength } from 'class-validator';
import { configSection } from '../config-section';

class OperatorEnvDto {
  @IsOptional() @IsString() @MinLength(1)
  OPERATOR_USERNAME?: string;

  @IsOptional() @IsString() @MinLength(12, { message: 'OPERATOR_PASSWORD must be at least 12 characters' })
  OPERATOR_PASSWORD?: string;
}

/** Basic-auth operators of the API's Bull Board. */
export interface OperatorConfig {
  auth: { operatorUsername?: string; operatorPassword?: string };
}

export const operatorSection = configSection({
  name: 'operator',
  dto: OperatorEnvDto,
  // A username without a password would leave the board to anyone who guesses the name.
  check: (values, env) =>
    env.NODE_ENV === 'production' && values.OPERATOR_USERNAME && !values.OPERATOR_PASSWORD
      ? ['OPERATOR_PASSWORD must be set when OPERATOR_USERNAME is set']
      : [],
  toConfig: (env): OperatorConfig => ({
    auth: { operatorUsername: env.OPERATOR_USERNAME, operatorPassword: env.OPERATOR_PASSWORD },
  }),
});
