WITH cur_g0_tickets AS 
(SELECT CAST(date_trunc('month', t0.resolved_at) AS DATE) AS period, t0.region AS d0, count(CASE WHEN (t0.ticket_type = 'complaint' AND t0.resolved_at IS NOT NULL AND t0.resolved_at <= t0.sla_due_at) THEN 1 END) AS m_complaints_resolved_on_time, count(CASE WHEN (t0.ticket_type = 'complaint' AND t0.resolved_at IS NOT NULL) THEN 1 END) AS m_complaints_resolved 
FROM tickets AS t0 
WHERE t0.resolved_at IS NOT NULL AND t0.resolved_at >= CAST('2026-01-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AND t0.resolved_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) GROUP BY CAST(date_trunc('month', t0.resolved_at) AS DATE), t0.region)
 SELECT result.period AS period, result.d0 AS region, result.complaint_timeliness AS complaint_timeliness, result.complaint_timeliness__n AS complaint_timeliness__n 
FROM (SELECT cur.period AS period, cur.d0 AS d0, cur.complaint_timeliness AS complaint_timeliness, cur.complaint_timeliness__n AS complaint_timeliness__n 
FROM (SELECT cur_spine.period AS period, cur_spine.d0 AS d0, (CAST(coalesce(cur_g0_tickets.m_complaints_resolved_on_time, 0) AS DOUBLE PRECISION) * 100.0) / CAST(nullif(CAST(coalesce(cur_g0_tickets.m_complaints_resolved, 0) AS DOUBLE PRECISION), 0) AS NUMERIC) AS complaint_timeliness, coalesce(cur_g0_tickets.m_complaints_resolved, 0) AS complaint_timeliness__n 
FROM (SELECT cur_periods.period AS period, cur_dims.d0 AS d0 
FROM (VALUES (CAST('2026-01-01' AS DATE)), (CAST('2026-02-01' AS DATE)), (CAST('2026-03-01' AS DATE))) AS cur_periods (period) JOIN (SELECT DISTINCT cur_g0_tickets.d0 AS d0 
FROM cur_g0_tickets) AS cur_dims ON true) AS cur_spine LEFT OUTER JOIN cur_g0_tickets ON cur_g0_tickets.period IS NOT DISTINCT FROM cur_spine.period AND cur_g0_tickets.d0 IS NOT DISTINCT FROM cur_spine.d0) AS cur) AS result ORDER BY result.period ASC, result.d0 ASC
