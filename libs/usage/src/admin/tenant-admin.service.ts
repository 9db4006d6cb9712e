import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock } from '@metering/platform';
import { calendarMonthOf } from '../domain/billing-period';
import { PlanNotFoundError, ValidationFailedError } from '../domain/usage-errors';
import { Plan } from '../entities/plan.entity';
import { Subscription, SubscriptionStatus } from '../entities/subscription.entity';
import { Tenant } from '../entities/tenant.entity';
import { PeriodTermsRepository } from './period-terms.repository';
import { assertValidPlan } from './plan-input';
import type { PlanInput } from './plan-input';

export interface CreateTenantInput {
  name: string;
  /** Required unless `trial` is set; a trial without a plan gets the configured trial limits. */
  planCode?: string;
  trial?: boolean;
  stripeCustomerId?: string;
}

export interface CreatedTenant {
  tenant: Tenant;
  subscription: Subscription;
}

/** Operator actions on plans and tenants (CLI, demo seeding, tests). */
export class TenantAdminService {
  private readonly clock: Clock;

  constructor(
    private readonly dataSource: DataSource,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  /** Creates the plan, or updates the plan with the same code. */
  async upsertPlan(input: PlanInput): Promise<Plan> {
    assertValidPlan(input);
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(Plan)
      .values({
        code: input.code,
        name: input.name,
        limits: input.limits,
        overageUnitCents: input.overageUnitCents,
        meterEventNames: input.meterEventNames ?? {},
      })
      .orUpdate(['name', 'limits', 'overage_unit_cents', 'meter_event_names'], ['code'])
      .execute();
    return this.dataSource.getRepository(Plan).findOneByOrFail({ code: input.code });
  }

  /** Creates a tenant with a subscription for the current calendar month. */
  async createTenant(input: CreateTenantInput): Promise<CreatedTenant> {
    const name = input.name?.trim();
    if (!name || name.length > 200) {
      throw new ValidationFailedError([{ field: 'name', message: 'name must be 1 to 200 characters' }]);
    }
    if (!input.planCode && !input.trial) {
      throw new ValidationFailedError([{ field: 'plan', message: 'a plan code is required unless the tenant is on a trial' }]);
    }
    if (input.stripeCustomerId !== undefined && !/^cus_[A-Za-z0-9]+$/.test(input.stripeCustomerId)) {
      throw new ValidationFailedError([{ field: 'stripe_customer', message: 'Stripe customer ids look like cus_ABC123' }]);
    }
    return this.dataSource.transaction(async (manager) => {
      let plan: Plan | null = null;
      if (input.planCode) {
        plan = await manager.getRepository(Plan).findOneBy({ code: input.planCode });
        if (!plan) throw new PlanNotFoundError(input.planCode);
      }
      const tenant = await manager.getRepository(Tenant).save({ name, stripeCustomerId: input.stripeCustomerId ?? null });
      const period = calendarMonthOf(this.clock());
      const subscription = await manager.getRepository(Subscription).save({
        tenantId: tenant.id,
        planId: plan?.id ?? null,
        status: input.trial ? SubscriptionStatus.Trialing : SubscriptionStatus.Active,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        billingAnchorDay: 1,
        stripeSubscriptionId: null,
        stripeSubscriptionItemIds: {},
      });
      await new PeriodTermsRepository(manager).snapshotCurrentPeriod(tenant.id);
      return { tenant, subscription };
    });
  }
}
