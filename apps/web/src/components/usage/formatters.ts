import type { AgentType } from '@metering/contract';

/** One locale for the whole page so numbers read the same everywhere ("1,000", "$3.00"). */
export const LOCALE = 'en-US';
/** The API reports money in integer cents without a currency; the plans are priced in USD. */
export const CURRENCY = 'USD';

const countFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const percentFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
const moneyFormat = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: CURRENCY });
const dayFormat = new Intl.DateTimeFormat(LOCALE, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayYearFormat = new Intl.DateTimeFormat(LOCALE, { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
const timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** What each agent's unit of work is called on the page. */
export const AGENT_UNIT_LABELS: Readonly<Record<AgentType, { title: string; unit: string }>> = {
  inbox: { title: 'Emails processed', unit: 'emails' },
  invoice: { title: 'Invoices detected', unit: 'invoices' },
  meeting: { title: 'Meetings prepared', unit: 'meetings' },
};

export function formatCount(value: number): string {
  return countFormat.format(value);
}

export function formatPercent(value: number): string {
  return `${percentFormat.format(value)}%`;
}

/** Integer cents as currency: 300 -> "$3.00". */
export function formatCents(cents: number): string {
  return moneyFormat.format(cents / 100);
}

/**
 * A billing period as people read it: the API's end is exclusive (the next period's first
 * instant), so the last day shown is the day before it. "Nov 1 – Nov 30, 2026".
 */
export function formatPeriod(periodStart: string, periodEnd: string): string {
  const start = new Date(periodStart);
  const lastDay = new Date(new Date(periodEnd).getTime() - 1);
  return `${dayFormat.format(start)} – ${dayYearFormat.format(lastDay)}`;
}

/** The day usage starts again from zero: the period's (exclusive) end. */
export function formatResetDay(periodEnd: string): string {
  return dayYearFormat.format(new Date(periodEnd));
}

export function formatTime(epochMs: number): string {
  return timeFormat.format(new Date(epochMs));
}
