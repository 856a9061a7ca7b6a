WITH cur_g0_surveys AS 
(SELECT CAST(date_trunc('month', t0.responded_at) AS DATE) AS period, j_ticket.region AS d0, count(CASE WHEN (t0.nps >= 9) THEN 1 END) AS m_nps_promoters, count(t0.nps) AS m_nps_answered 
FROM surveys AS t0 LEFT OUTER JOIN tickets AS j_ticket ON t0.ticket_id = j_ticket.ticket_id 
WHERE t0.responded_at IS NOT NULL AND t0.responded_at >= CAST('2026-01-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AND t0.responded_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) GROUP BY CAST(date_trunc('month', t0.responded_at) AS DATE), j_ticket.region)
 SELECT result.period AS period, result.d0 AS region, result.nps_promoter_share AS nps_promoter_share, result.nps_promoter_share__n AS nps_promoter_share__n 
FROM (SELECT cur.period AS period, cur.d0 AS d0, cur.nps_promoter_share AS nps_promoter_share, cur.nps_promoter_share__n AS nps_promoter_share__n 
FROM (SELECT cur_spine.period AS period, cur_spine.d0 AS d0, (CAST(coalesce(cur_g0_surveys.m_nps_promoters, 0) AS DOUBLE PRECISION) * 100.0) / CAST(nullif(CAST(coalesce(cur_g0_surveys.m_nps_answered, 0) AS DOUBLE PRECISION), 0) AS NUMERIC) AS nps_promoter_share, coalesce(cur_g0_surveys.m_nps_answered, 0) AS nps_promoter_share__n 
FROM (SELECT cur_periods.period AS period, cur_dims.d0 AS d0 
FROM (VALUES (CAST('2026-01-01' AS DATE)), (CAST('2026-02-01' AS DATE)), (CAST('2026-03-01' AS DATE))) AS cur_periods (period) JOIN (SELECT DISTINCT cur_g0_surveys.d0 AS d0 
FROM cur_g0_surveys) AS cur_dims ON true) AS cur_spine LEFT OUTER JOIN cur_g0_surveys ON cur_g0_surveys.period IS NOT DISTINCT FROM cur_spine.period AND cur_g0_surveys.d0 IS NOT DISTINCT FROM cur_spine.d0) AS cur) AS result ORDER BY result.period ASC, result.d0 ASC
