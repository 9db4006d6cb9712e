import { IsBooleanString } from 'class-validator';
import { configSection } from '../config-section';

class DemoEnvDto {
  @IsBooleanString()
  DEMO!: string;
}

/** Whether the demo agent seeds the demo tenant and simulates its agents (never in production). */
export interface DemoConfig {
  demo: boolean;
}

export const demoSection = configSection({
  name: 'demo',
  dto: DemoEnvDto,
  defaults: { DEMO: 'true' },
  toConfig: (env): DemoConfig => ({ demo: env.DEMO === 'true' || env.DEMO === '1' }),
});
