import { useCallback, useMemo, useState } from 'react';
import type { UsageAlert } from '@metering/contract';

const KEY_PREFIX = 'metering.dismissedAlerts:';

function storageKey(tenantId: string, periodStart: string): string {
  return `${KEY_PREFIX}${tenantId}:${periodStart}`;
}

/** An alert is identified by agent and level: a higher level of the same agent is a new alert. */
export function alertSignature(alert: UsageAlert): string {
  return `${alert.agent}:${alert.level}`;
}

function readDismissed(key: string): string[] {
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(key) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

function writeDismissed(tenantId: string, key: string, signatures: string[]): void {
  try {
    // Dismissals of earlier periods can never apply again: drop them so storage does not grow.
    const tenantPrefix = `${KEY_PREFIX}${tenantId}:`;
    for (let index = window.localStorage.length - 1; index >= 0; index -= 1) {
      const existing = window.localStorage.key(index);
      if (existing && existing.startsWith(tenantPrefix) && existing !== key) window.localStorage.removeItem(existing);
    }
    window.localStorage.setItem(key, JSON.stringify(signatures));
  } catch {
    // Without storage a dismissal lasts until the page reloads.
  }
}

/**
 * Which alerts the user has dismissed in this billing period. Remembered in localStorage per
 * tenant and period, so the banner returns in the next period, or when an agent reaches a level
 * (or an agent reaches a threshold) that was not dismissed.
 */
export function useAlertDismissals(
  tenantId: string,
  periodStart: string,
  alerts: readonly UsageAlert[],
): { showBanner: boolean; dismiss: () => void } {
  const key = storageKey(tenantId, periodStart);
  const [dismissed, setDismissed] = useState<{ key: string; signatures: string[] }>(() => ({
    key,
    signatures: readDismissed(key),
  }));
  // A new tenant or period starts from what storage says for it.
  const signatures = dismissed.key === key ? dismissed.signatures : readDismissed(key);
  const showBanner = useMemo(
    () => alerts.some((alert) => !signatures.includes(alertSignature(alert))),
    [alerts, signatures],
  );
  const dismiss = useCallback(() => {
    const next = Array.from(new Set([...signatures, ...alerts.map(alertSignature)]));
    writeDismissed(tenantId, key, next);
    setDismissed({ key, signatures: next });
  }, [alerts, key, signatures, tenantId]);
  return { showBanner, dismiss };
}
