/**
 * The AI agents whose work is metered, in the order the API and the billing page list them.
 * The one list: the server's `AgentType` names its members, the browser iterates this.
 */
export const AGENT_TYPES = ['inbox', 'invoice', 'meeting'] as const;

/** An agent as it appears on the wire. */
export type AgentType = (typeof AGENT_TYPES)[number];

/** Severity of a usage alert: `warning` from 80% of a limit, `error` from 100%. */
export type AlertLevel = 'warning' | 'error';
