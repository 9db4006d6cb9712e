import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { AGENT_TYPES } from '@metering/contract';
import type { AgentType, UsageHistoryResponse, UsageStatsResponse } from '@metering/contract';
import { fetchHistory } from '../../api/usage-history-api.client';
import { useAuthToken } from '../../auth/auth-token.store';
import { AGENT_UNIT_LABELS, formatCount } from '../usage/formatters';
import { chartDays } from './chart-series';
import { EventsDrilldown } from './EventsDrilldown';
import { QueryLoading, QueryProblem } from './QueryProblem';
import { UsageChart, formatDay } from './UsageChart';
import './history.css';

/**
 * This period's daily usage of one agent at a time (chart with limit and forecast, and the same
 * numbers as a table), and that agent's latest events with a CSV download.
 */
export function UsageHistory({ stats }: { stats: UsageStatsResponse }) {
  const token = useAuthToken();
  const [agent, setAgent] = useState<AgentType>('inbox');
  // Re-read when the counts the bars show move, so the chart and its caption (from `stats`) agree;
  // the previous chart stays on screen meanwhile.
  const total = AGENT_TYPES.reduce((sum, each) => sum + stats.usage[each].count, 0);
  const history = useQuery<UsageHistoryResponse, Error>({
    queryKey: ['usage-history', token, stats.period_start, total],
    queryFn: ({ signal }) => fetchHistory(token!, stats.period_start, stats.period_end, 'day', signal),
    enabled: token !== null,
    placeholderData: (previous) => previous,
  });

  let body;
  if (history.data) {
    const usage = stats.usage[agent];
    const days = chartDays(history.data.series[agent] ?? [], usage, Date.now());
    const empty = days.every((day) => !day.daily);
    body = (
      <>
        {empty ? (
          <p className="history-empty">No {AGENT_UNIT_LABELS[agent].unit} recorded yet this period.</p>
        ) : (
          <UsageChart agent={agent} usage={usage} days={days} />
        )}
        {!empty && (
          <details className="history-table">
            <summary>Show daily numbers as a table</summary>
            <div className="history-table__scroll" tabIndex={0} role="region" aria-label="Daily numbers (scrollable)">
            <table>
              <caption className="visually-hidden">{AGENT_UNIT_LABELS[agent].title} per day</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Used that day</th>
                  <th scope="col">Total</th>
                  <th scope="col">Forecast</th>
                </tr>
              </thead>
              <tbody>
                {days.map((day) => (
                  <tr key={day.start}>
                    <th scope="row">{formatDay(day.start)}</th>
                    <td>{day.daily === null ? '–' : formatCount(day.daily)}</td>
                    <td>{day.actual === null ? '–' : formatCount(day.actual)}</td>
                    <td>{day.forecast === null ? '–' : formatCount(day.forecast)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          </details>
        )}
      </>
    );
  } else if (history.error) {
    body = <QueryProblem what="the usage history" error={history.error} onRetry={() => void history.refetch()} />;
  } else {
    body = <QueryLoading what="the usage history" />;
  }

  return (
    <section className="card history-card" aria-labelledby="usage-history-heading">
      <div className="history-card__header">
        <h2 id="usage-history-heading">Daily usage</h2>
        <div className="agent-switch" role="group" aria-label="Agent">
          {AGENT_TYPES.map((each) => (
            <button
              key={each}
              type="button"
              className="agent-switch__option"
              aria-pressed={each === agent}
              onClick={() => setAgent(each)}
            >
              {AGENT_UNIT_LABELS[each].title}
            </button>
          ))}
        </div>
      </div>
      {body}
      <EventsDrilldown agent={agent} periodStart={stats.period_start} periodEnd={stats.period_end} />
    </section>
  );
}
