import { useId, useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { AgentType, UsageEventRecord, UsageEventsPage } from '@metering/contract';
import { downloadEventsCsv, fetchEvents } from '../../api/usage-history-api.client';
import { useAuthToken } from '../../auth/auth-token.store';
import { AGENT_UNIT_LABELS, formatCount } from '../usage/formatters';
import { QueryLoading, QueryProblem } from './QueryProblem';

const timeFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

/** A correction's quantity is signed: "−5" takes usage back, "+3" adds it. */
function quantityText(event: UsageEventRecord): string {
  if (event.kind !== 'correction') return formatCount(event.quantity);
  return `${event.quantity < 0 ? '\u2212' : '+'}${formatCount(Math.abs(event.quantity))}`;
}

/** One row: an event as reported, or an operator's correction with its reason. */
function EventRow({ event }: { event: UsageEventRecord }) {
  const correction = event.correction;
  return (
    <tr className={correction ? 'events-table__correction' : undefined}>
      <td className="events-table__resource">{event.resource_id || '—'}</td>
      <td>
        {correction ? (
          <>
            <span className="events-table__badge">{correction.type === 'void' ? 'Voided' : 'Adjusted'}</span> {correction.reason}
          </>
        ) : (
          event.action_type.replace(/_/g, ' ')
        )}
      </td>
      <td>{timeFormat.format(new Date(event.occurred_at))}</td>
      <td>{quantityText(event)}</td>
    </tr>
  );
}

/**
 * "View events": the latest events of one agent this period (what the bill is made of), with the
 * operators' corrections among them (marked, with their reason), and the CSV.
 */
export function EventsDrilldown({ agent, periodStart, periodEnd }: { agent: AgentType; periodStart: string; periodEnd: string }) {
  const token = useAuthToken();
  const panelId = useId();
  const [open, setOpen] = useState(false);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const selection = { agent, from: periodStart, to: periodEnd };
  const events = useInfiniteQuery<UsageEventsPage, Error>({
    queryKey: ['usage-events', token, agent, periodStart],
    queryFn: ({ pageParam, signal }) => fetchEvents(token!, selection, pageParam as string | null, signal),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor,
    enabled: open && token !== null,
  });
  const { title, unit } = AGENT_UNIT_LABELS[agent];
  const rows = events.data?.pages.flatMap((page) => page.data) ?? [];

  let body = null;
  if (open) {
    if (events.error && rows.length === 0) body = <QueryProblem what={`the ${unit}`} error={events.error} onRetry={() => void events.refetch()} />;
    else if (!events.data) body = <QueryLoading what={`the latest ${unit}`} />;
    else if (rows.length === 0) body = <p className="history-empty">No {unit} recorded yet this period.</p>;
    else {
      body = (
        <>
          <div className="events-table" tabIndex={0} role="region" aria-label={`Latest ${unit} (scrollable)`}>
            <table>
              <caption className="visually-hidden">Latest {unit} this period</caption>
              <thead>
                <tr>
                  <th scope="col">Resource</th>
                  <th scope="col">Action</th>
                  <th scope="col">Time (UTC)</th>
                  <th scope="col">Quantity</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((event) => (
                  // An event's key and a correction's key may be equal: the kind keeps React keys apart.
                  <EventRow key={`${event.kind}:${event.idempotency_key}`} event={event} />
                ))}
              </tbody>
            </table>
          </div>
          {events.hasNextPage && (
            <button type="button" className="button button--small button--ghost" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
              {events.isFetchingNextPage ? 'Loading…' : 'Show more'}
            </button>
          )}
        </>
      );
    }
  }

  return (
    <div className="events-drilldown">
      <div className="events-drilldown__actions">
        <button type="button" className="button button--small" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
          {open ? 'Hide events' : 'View events'}
          <span className="visually-hidden"> of {title.toLowerCase()}</span>
        </button>
        <button
          type="button"
          className="button button--small button--ghost"
          onClick={() => {
            setDownloadError(null);
            downloadEventsCsv(token!, selection).catch((error: Error) => setDownloadError(error.message));
          }}
        >
          Download CSV<span className="visually-hidden"> of {title.toLowerCase()} this period</span>
        </button>
      </div>
      {downloadError && (
        <p className="history-problem" role="alert">
          The CSV could not be downloaded: {downloadError}
        </p>
      )}
      <div id={panelId} hidden={!open}>
        {body}
      </div>
    </div>
  );
}
