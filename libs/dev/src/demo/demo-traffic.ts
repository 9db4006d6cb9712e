import { randomBytes } from 'node:crypto';
import { ActionType, AgentType } from '@metering/usage';
import type { TrackEventInput, UsageClient } from '@metering/usage';

const ACTION_OF: Readonly<Record<AgentType, ActionType>> = {
  [AgentType.Inbox]: ActionType.EmailProcessed,
  [AgentType.Invoice]: ActionType.InvoiceDetected,
  [AgentType.Meeting]: ActionType.MeetingPrep,
};

/** Events per tick: [min, max]. Inbox moves fastest so the page shows green, yellow and red in minutes. */
const PER_TICK: Readonly<Record<AgentType, [number, number]>> = {
  [AgentType.Inbox]: [3, 8],
  [AgentType.Invoice]: [0, 2],
  [AgentType.Meeting]: [0, 1],
};

/** A freshly seeded tenant starts part-way through the month rather than at zero. */
export const DEMO_STARTING_COUNTS: Readonly<Record<AgentType, number>> = {
  [AgentType.Inbox]: 700,
  [AgentType.Invoice]: 90,
  [AgentType.Meeting]: 12,
};

/** The simulation stops feeding an agent at this share of its limit, so the demo settles. */
export const DEMO_CAP_PERCENT = 130;

export interface DemoTrafficOptions {
  client: UsageClient;
  tenantId: string;
  random?: () => number;
}

/** Produces the simulated agents' events, each with its own idempotency key. */
export class DemoTraffic {
  private readonly runId = randomBytes(4).toString('hex');
  private sequence = 0;
  private readonly random: () => number;

  constructor(private readonly options: DemoTrafficOptions) {
    this.random = options.random ?? Math.random;
  }

  private events(agent: AgentType, count: number): TrackEventInput[] {
    return Array.from({ length: count }, () => {
      this.sequence += 1;
      const resourceId = `demo-${agent}-${this.runId}-${this.sequence}`;
      return { tenantId: this.options.tenantId, agent, actionType: ACTION_OF[agent], resourceId, idempotencyKey: resourceId };
    });
  }

  /** Enqueues the starting counts in one batch per agent. */
  async backfill(): Promise<number> {
    let total = 0;
    for (const [agent, count] of Object.entries(DEMO_STARTING_COUNTS) as Array<[AgentType, number]>) {
      total += (await this.options.client.trackMany(this.events(agent, count))).accepted;
    }
    return total;
  }

  /** One tick: a few events for every agent below the cap (percentages as the usage API reports them). */
  async tick(percentages: Partial<Record<AgentType, number | null>>): Promise<number> {
    const events = (Object.keys(PER_TICK) as AgentType[]).flatMap((agent) => {
      if ((percentages[agent] ?? 0) >= DEMO_CAP_PERCENT) return [];
      const [min, max] = PER_TICK[agent];
      return this.events(agent, min + Math.floor(this.random() * (max - min + 1)));
    });
    if (events.length === 0) return 0;
    return (await this.options.client.trackMany(events)).accepted;
  }
}
