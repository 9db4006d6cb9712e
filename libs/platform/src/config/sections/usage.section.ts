import { IsInt, IsString, Max, Min, Validate, ValidatorConstraint } from 'class-validator';
import type { ValidatorConstraintInterface } from 'class-validator';
import { configSection } from '../config-section';

/** Limits keyed as in `plans.limits`; a missing or null key means unlimited. */
export type PlanLimitsConfig = Record<string, number | null>;

function parsePlanLimits(raw: string): PlanLimitsConfig | null {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const entries = Object.entries(parsed as Record<string, unknown>);
    return entries.every(([, v]) => v === null || (Number.isInteger(v) && (v as number) >= 0)) ? (parsed as PlanLimitsConfig) : null;
  } catch {
    return null;
  }
}

@ValidatorConstraint({ name: 'planLimits' })
class PlanLimitsJson implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parsePlanLimits(value) !== null;
  }

  defaultMessage(): string {
    return 'TRIAL_LIMITS must be a JSON object of non-negative integers or null';
  }
}

class UsageEnvDto {
  @IsString() @Validate(PlanLimitsJson)
  TRIAL_LIMITS!: string;

  @IsInt() @Min(1) @Max(35)
  EVENT_MAX_AGE_DAYS!: number;

  @IsInt() @Min(0) @Max(3600)
  EVENT_MAX_FUTURE_SECONDS!: number;

  // Stripe's invoice grace after a period ends: 1 hour by default, configurable up to 72 hours.
  @IsInt() @Min(600) @Max(259_200)
  INVOICE_GRACE_SECONDS!: number;
}

/** Usage rules the API, the workers and the CLI apply alike: trial quotas, accepted event times. */
export interface UsageRulesConfig {
  usage: {
    trialLimits: PlanLimitsConfig;
    eventMaxAgeDays: number;
    eventMaxFutureSeconds: number;
    /** How long after a period's end Stripe finalizes its invoice (the account's setting). */
    invoiceGraceSeconds: number;
  };
}

export const usageSection = configSection({
  name: 'usage',
  dto: UsageEnvDto,
  defaults: {
    TRIAL_LIMITS: '{"emails_per_month":100,"invoices_per_month":20,"meetings_per_month":5}',
    EVENT_MAX_AGE_DAYS: '35',
    EVENT_MAX_FUTURE_SECONDS: '300',
    INVOICE_GRACE_SECONDS: '3600',
  },
  toConfig: (env): UsageRulesConfig => ({
    usage: {
      trialLimits: parsePlanLimits(env.TRIAL_LIMITS) ?? {},
      eventMaxAgeDays: env.EVENT_MAX_AGE_DAYS,
      eventMaxFutureSeconds: env.EVENT_MAX_FUTURE_SECONDS,
      invoiceGraceSeconds: env.INVOICE_GRACE_SECONDS,
    },
  }),
});
