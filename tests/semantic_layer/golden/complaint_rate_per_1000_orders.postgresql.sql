WITH cur_g0_tickets AS 
(SELECT CAST(date_trunc('month', t0.created_at) AS DATE) AS period, j_customer.segment AS d0, count(CASE WHEN (t0.ticket_type = 'complaint') THEN 1 END) AS m_complaints 
FROM tickets AS t0 LEFT OUTER JOIN customers AS j_customer ON t0.customer_id = j_customer.customer_id 
WHERE t0.created_at IS NOT NULL AND t0.created_at >= CAST('2026-01-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AND t0.created_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) GROUP BY CAST(date_trunc('month', t0.created_at) AS DATE), j_customer.segment), 
cur_g1_orders AS 
(SELECT CAST(date_trunc('month', t0.ordered_at) AS DATE) AS period, j_customer.segment AS d0, count(1) AS m_orders 
FROM orders AS t0 LEFT OUTER JOIN customers AS j_customer ON t0.customer_id = j_customer.customer_id 
WHERE t0.ordered_at IS NOT NULL AND t0.ordered_at >= CAST('2026-01-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AND t0.ordered_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) GROUP BY CAST(date_trunc('month', t0.ordered_at) AS DATE), j_customer.segment)
 SELECT result.period AS period, result.d0 AS "customer.segment", result.complaint_rate_per_1000_orders AS complaint_rate_per_1000_orders, result.complaint_rate_per_1000_orders__n AS complaint_rate_per_1000_orders__n 
FROM (SELECT cur.period AS period, cur.d0 AS d0, cur.complaint_rate_per_1000_orders AS complaint_rate_per_1000_orders, cur.complaint_rate_per_1000_orders__n AS complaint_rate_per_1000_orders__n 
FROM (SELECT cur_spine.period AS period, cur_spine.d0 AS d0, (CAST(coalesce(cur_g0_tickets.m_complaints, 0) AS DOUBLE PRECISION) * 1000.0) / CAST(nullif(CAST(coalesce(cur_g1_orders.m_orders, 0) AS DOUBLE PRECISION), 0) AS NUMERIC) AS complaint_rate_per_1000_orders, coalesce(cur_g1_orders.m_orders, 0) AS complaint_rate_per_1000_orders__n 
FROM (SELECT cur_periods.period AS period, cur_dims.d0 AS d0 
FROM (VALUES (CAST('2026-01-01' AS DATE)), (CAST('2026-02-01' AS DATE)), (CAST('2026-03-01' AS DATE))) AS cur_periods (period) JOIN (SELECT cur_g0_tickets.d0 AS d0 
FROM cur_g0_tickets UNION SELECT cur_g1_orders.d0 AS d0 
FROM cur_g1_orders) AS cur_dims ON true) AS cur_spine LEFT OUTER JOIN cur_g0_tickets ON cur_g0_tickets.period IS NOT DISTINCT FROM cur_spine.period AND cur_g0_tickets.d0 IS NOT DISTINCT FROM cur_spine.d0 LEFT OUTER JOIN cur_g1_orders ON cur_g1_orders.period IS NOT DISTINCT FROM cur_spine.period AND cur_g1_orders.d0 IS NOT DISTINCT FROM cur_spine.d0) AS cur) AS result ORDER BY result.period ASC, result.d0 ASC
