import { AGENT_TYPES } from '@metering/contract';
import type { AgentType as WireAgentType } from '@metering/contract';

/**
 * The AI agents whose work is metered, by name (`AgentType.Inbox`). A constant object, not an
 * enum: its values are the wire contract's agent strings, so the server's types are the
 * contract's types and need no mapping.
 */
export const AgentType = {
  Inbox: 'inbox',
  Invoice: 'invoice',
  Meeting: 'meeting',
} as const satisfies Record<string, WireAgentType>;

export type AgentType = WireAgentType;

/** The unit of work each agent reports. */
export enum ActionType {
  EmailProcessed = 'email_processed',
  InvoiceDetected = 'invoice_detected',
  MeetingPrep = 'meeting_prep',
}

/** Every agent, in the contract's order (the order the API and the billing page list them). */
export { AGENT_TYPES };
export const ACTION_TYPES: readonly ActionType[] = [
  ActionType.EmailProcessed,
  ActionType.InvoiceDetected,
  ActionType.MeetingPrep,
];

/** Which actions each agent may report; anything else is rejected. */
export const AGENT_ACTIONS: Readonly<Record<AgentType, readonly ActionType[]>> = {
  [AgentType.Inbox]: [ActionType.EmailProcessed],
  [AgentType.Invoice]: [ActionType.InvoiceDetected],
  [AgentType.Meeting]: [ActionType.MeetingPrep],
};

/** The key of `plans.limits` that holds each agent's monthly quota. */
export const AGENT_LIMIT_KEYS: Readonly<Record<AgentType, string>> = {
  [AgentType.Inbox]: 'emails_per_month',
  [AgentType.Invoice]: 'invoices_per_month',
  [AgentType.Meeting]: 'meetings_per_month',
};

/** Human names used in alerts and on the billing page. */
export const AGENT_LABELS: Readonly<Record<AgentType, string>> = {
  [AgentType.Inbox]: 'Inbox',
  [AgentType.Invoice]: 'Invoice',
  [AgentType.Meeting]: 'Meeting',
};

export function isAgentType(value: unknown): value is AgentType {
  return typeof value === 'string' && (AGENT_TYPES as readonly string[]).includes(value);
}

export function isActionType(value: unknown): value is ActionType {
  return typeof value === 'string' && (ACTION_TYPES as readonly string[]).includes(value);
}

export function isActionAllowed(agent: AgentType, action: ActionType): boolean {
  return AGENT_ACTIONS[agent].includes(action);
}
