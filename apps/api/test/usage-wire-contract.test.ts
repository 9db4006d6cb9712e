/**
 * The billing page keeps its own copy of the `GET /api/v1/usage` wire types (the browser bundle
 * must not pull in the server library). This file holds the copy to the server's: a field added,
 * removed or retyped on either side is a type error here, which fails `npm run typecheck` (a
 * suite of `npm test`; jest itself only transpiles).
 */
import { AGENT_TYPES } from '@metering/usage';
import type { AgentType, UsageStatsResponse } from '@metering/usage';
import { AGENT_ORDER } from '../../web/src/api/usage.types';
import type { UsageStats } from '../../web/src/api/usage.types';

/** The server's types as they look on the wire: its string enum becomes its string values. */
type Wire<T> = T extends AgentType
  ? `${T}`
  : T extends ReadonlyArray<infer Item>
    ? Array<Wire<Item>>
    : T extends object
      ? { [K in keyof T as K extends AgentType ? `${K}` : K]: Wire<T[K]> }
      : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const webCopyMatchesServer: Same<UsageStats, Wire<UsageStatsResponse>> = true;

describe('usage wire types of the billing page', () => {
  it('mirror the server response type exactly (checked by the compiler)', () => {
    expect(webCopyMatchesServer).toBe(true);
  });

  it('list the agents the server knows, in its order', () => {
    expect(AGENT_ORDER).toEqual(AGENT_TYPES.map(String));
  });
});
