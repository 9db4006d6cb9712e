/**
 * A tenant's ended periods, newest first, older than the cursor ($3), $4 of them: per agent the
 * counter, and what the Stripe ledger holds for it (sent, pending, failed deltas). A read across
 * libs (usage's counters and plan, billing's ledger) in one statement, as the overage query does.
 * Limits and prices are each period's own terms (billing_period_terms, what billing priced it with),
 * the subscription's current plan's for a period that has none (periods before terms were kept).
 */
export const USAGE_PERIODS_SQL = `
WITH periods AS (
  SELECT period_start, max(period_end) AS period_end
    FROM usage_counters
   WHERE tenant_id = $1 AND period_end <= $2 AND ($3::timestamptz IS NULL OR period_start < $3)
   GROUP BY period_start
   ORDER BY period_start DESC
   LIMIT $4
)
SELECT p.period_start, p.period_end,
       (SELECT coalesce(json_object_agg(c.agent, c.count), '{}'::json)
          FROM usage_counters c WHERE c.tenant_id = $1 AND c.period_start = p.period_start) AS counts,
       (SELECT coalesce(json_object_agg(r.agent, json_build_array(r.sent, r.pending, r.failed)), '{}'::json)
          FROM (SELECT agent,
                       coalesce(sum(delta) FILTER (WHERE status = 'sent'), 0) AS sent,
                       coalesce(sum(delta) FILTER (WHERE status = 'pending'), 0) AS pending,
                       coalesce(sum(delta) FILTER (WHERE status = 'failed'), 0) AS failed
                  FROM stripe_usage_reports
                 WHERE tenant_id = $1 AND period_start = p.period_start AND purpose = 'overage'
                 GROUP BY agent) r) AS reports,
       CASE WHEN bt.tenant_id IS NOT NULL THEN bt.limits ELSE pl.limits END AS limits,
       CASE WHEN bt.tenant_id IS NOT NULL THEN bt.overage_unit_cents ELSE pl.overage_unit_cents END AS overage_unit_cents
  FROM periods p
  -- One subscription (the latest), even if a tenant ever holds several: periods must not repeat.
  LEFT JOIN LATERAL (SELECT plan_id FROM subscriptions WHERE tenant_id = $1 ORDER BY current_period_start DESC LIMIT 1) s ON true
  LEFT JOIN plans pl ON pl.id = s.plan_id
  LEFT JOIN billing_period_terms bt ON bt.tenant_id = $1 AND bt.period_start = p.period_start
 ORDER BY p.period_start DESC`;
