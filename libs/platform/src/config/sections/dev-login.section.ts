import { IsIn, IsOptional } from 'class-validator';
import { configSection } from '../config-section';

class DevLoginEnvDto {
  // Unset (or empty) means off: a deployment that forgets NODE_ENV must not mint tokens for anyone.
  @IsOptional() @IsIn(['true', 'false', '1', '0'], { message: 'DEV_LOGIN must be true or false' })
  DEV_LOGIN?: string;
}

/** Whether the API mounts `POST /api/v1/dev/token` (unauthenticated token minting for development). */
export interface DevLoginConfig {
  devLogin: boolean;
}

export const devLoginSection = configSection({
  name: 'dev-login',
  dto: DevLoginEnvDto,
  check: (values, env) =>
    env.NODE_ENV === 'production' && ['true', '1'].includes(values.DEV_LOGIN ?? '')
      ? ['DEV_LOGIN must not be enabled with NODE_ENV=production']
      : [],
  toConfig: (env): DevLoginConfig => ({ devLogin: env.DEV_LOGIN === 'true' || env.DEV_LOGIN === '1' }),
});
