WITH cur_g0_tickets AS (
  SELECT
    snapshot_spine.bucket AS period,
    t0.region AS d0,
    COUNT(1) AS m_tickets
  FROM VALUES
    (CAST('2026-01-01' AS DATE), CAST('2026-02-01 00:00:00' AS TIMESTAMP_NTZ)),
    (CAST('2026-02-01' AS DATE), CAST('2026-03-01 00:00:00' AS TIMESTAMP_NTZ)),
    (CAST('2026-03-01' AS DATE), CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)) AS snapshot_spine(bucket, as_of)
  JOIN tickets AS t0
    ON t0.created_at < snapshot_spine.as_of
    AND (
      t0.resolved_at IS NULL OR t0.resolved_at >= snapshot_spine.as_of
    )
  GROUP BY
    snapshot_spine.bucket,
    t0.region
), cur_g1_tickets AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', t0.created_at) AS DATE) AS period,
    t0.region AS d0,
    PERCENTILE(
      CAST((
        UNIX_TIMESTAMP(t0.first_response_at) - UNIX_TIMESTAMP(t0.created_at)
      ) / 3600.0 AS DOUBLE),
      0.9
    ) AS m_first_response_hours_p90,
    COUNT(
      CAST((
        UNIX_TIMESTAMP(t0.first_response_at) - UNIX_TIMESTAMP(t0.created_at)
      ) / 3600.0 AS DOUBLE)
    ) AS n_first_response_hours_p90
  FROM tickets AS t0
  WHERE
    NOT t0.created_at IS NULL
    AND t0.created_at >= CAST('2026-01-01 00:00:00' AS TIMESTAMP_NTZ)
    AND t0.created_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', t0.created_at) AS DATE),
    t0.region
), cur_g2_surveys AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', t0.responded_at) AS DATE) AS period,
    j_ticket.region AS d0,
    COUNT(CASE WHEN (
      t0.csat IN (4, 5)
    ) THEN 1 END) AS m_csat_satisfied,
    COUNT(t0.csat) AS m_csat_rated
  FROM surveys AS t0
  LEFT OUTER JOIN tickets AS j_ticket
    ON t0.ticket_id = j_ticket.ticket_id
  WHERE
    NOT t0.responded_at IS NULL
    AND t0.responded_at >= CAST('2026-01-01 00:00:00' AS TIMESTAMP_NTZ)
    AND t0.responded_at < CAST('2026-04-01 00:00:00' AS TIMESTAMP_NTZ)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', t0.responded_at) AS DATE),
    j_ticket.region
), cmp_g0_tickets AS (
  SELECT
    snapshot_spine.bucket AS period,
    t0.region AS d0,
    COUNT(1) AS m_tickets
  FROM VALUES
    (CAST('2026-01-01' AS DATE), CAST('2025-11-01 00:00:00' AS TIMESTAMP_NTZ)),
    (CAST('2026-02-01' AS DATE), CAST('2025-12-01 00:00:00' AS TIMESTAMP_NTZ)),
    (CAST('2026-03-01' AS DATE), CAST('2026-01-01 00:00:00' AS TIMESTAMP_NTZ)) AS snapshot_spine(bucket, as_of)
  JOIN tickets AS t0
    ON t0.created_at < snapshot_spine.as_of
    AND (
      t0.resolved_at IS NULL OR t0.resolved_at >= snapshot_spine.as_of
    )
  GROUP BY
    snapshot_spine.bucket,
    t0.region
), cmp_g1_tickets AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', (
      t0.created_at + INTERVAL '3' MONTH
    )) AS DATE) AS period,
    t0.region AS d0,
    PERCENTILE(
      CAST((
        UNIX_TIMESTAMP(t0.first_response_at) - UNIX_TIMESTAMP(t0.created_at)
      ) / 3600.0 AS DOUBLE),
      0.9
    ) AS m_first_response_hours_p90,
    COUNT(
      CAST((
        UNIX_TIMESTAMP(t0.first_response_at) - UNIX_TIMESTAMP(t0.created_at)
      ) / 3600.0 AS DOUBLE)
    ) AS n_first_response_hours_p90
  FROM tickets AS t0
  WHERE
    NOT t0.created_at IS NULL
    AND t0.created_at >= CAST('2025-10-01 00:00:00' AS TIMESTAMP_NTZ)
    AND t0.created_at < CAST('2026-01-01 00:00:00' AS TIMESTAMP_NTZ)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', (
      t0.created_at + INTERVAL '3' MONTH
    )) AS DATE),
    t0.region
), cmp_g2_surveys AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', (
      t0.responded_at + INTERVAL '3' MONTH
    )) AS DATE) AS period,
    j_ticket.region AS d0,
    COUNT(CASE WHEN (
      t0.csat IN (4, 5)
    ) THEN 1 END) AS m_csat_satisfied,
    COUNT(t0.csat) AS m_csat_rated
  FROM surveys AS t0
  LEFT OUTER JOIN tickets AS j_ticket
    ON t0.ticket_id = j_ticket.ticket_id
  WHERE
    NOT t0.responded_at IS NULL
    AND t0.responded_at >= CAST('2025-10-01 00:00:00' AS TIMESTAMP_NTZ)
    AND t0.responded_at < CAST('2026-01-01 00:00:00' AS TIMESTAMP_NTZ)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', (
      t0.responded_at + INTERVAL '3' MONTH
    )) AS DATE),
    j_ticket.region
)
SELECT
  result.period AS period,
  result.d0 AS region,
  result.csat AS csat,
  result.csat__previous AS csat__previous,
  result.csat__change AS csat__change,
  result.csat__change_pct AS csat__change_pct,
  result.csat__n AS csat__n,
  result.csat__n__previous AS csat__n__previous,
  result.first_response_time_p90 AS first_response_time_p90,
  result.first_response_time_p90__previous AS first_response_time_p90__previous,
  result.first_response_time_p90__change AS first_response_time_p90__change,
  result.first_response_time_p90__change_pct AS first_response_time_p90__change_pct,
  result.first_response_time_p90__n AS first_response_time_p90__n,
  result.first_response_time_p90__n__previous AS first_response_time_p90__n__previous,
  result.backlog AS backlog,
  result.backlog__previous AS backlog__previous,
  result.backlog__change AS backlog__change,
  result.backlog__change_pct AS backlog__change_pct
FROM (
  SELECT
    cur.period AS period,
    cur.d0 AS d0,
    cur.csat AS csat,
    cmp.csat AS csat__previous,
    cur.csat - cmp.csat AS csat__change,
    (
      (
        cur.csat - cmp.csat
      ) * 100.0
    ) / NULLIF(ABS(cmp.csat), 0) AS csat__change_pct,
    cur.csat__n AS csat__n,
    cmp.csat__n AS csat__n__previous,
    cur.first_response_time_p90 AS first_response_time_p90,
    cmp.first_response_time_p90 AS first_response_time_p90__previous,
    cur.first_response_time_p90 - cmp.first_response_time_p90 AS first_response_time_p90__change,
    (
      (
        cur.first_response_time_p90 - cmp.first_response_time_p90
      ) * 100.0
    ) / NULLIF(ABS(cmp.first_response_time_p90), 0) AS first_response_time_p90__change_pct,
    cur.first_response_time_p90__n AS first_response_time_p90__n,
    cmp.first_response_time_p90__n AS first_response_time_p90__n__previous,
    cur.backlog AS backlog,
    cmp.backlog AS backlog__previous,
    cur.backlog - cmp.backlog AS backlog__change,
    (
      (
        cur.backlog - cmp.backlog
      ) * 100.0
    ) / NULLIF(ABS(cmp.backlog), 0) AS backlog__change_pct
  FROM (
    SELECT
      cur_spine.period AS period,
      cur_spine.d0 AS d0,
      (
        CAST(COALESCE(cur_g2_surveys.m_csat_satisfied, 0) AS DOUBLE) * 100.0
      ) / NULLIF(CAST(COALESCE(cur_g2_surveys.m_csat_rated, 0) AS DOUBLE), 0) AS csat,
      COALESCE(cur_g2_surveys.m_csat_rated, 0) AS csat__n,
      cur_g1_tickets.m_first_response_hours_p90 AS first_response_time_p90,
      COALESCE(cur_g1_tickets.n_first_response_hours_p90, 0) AS first_response_time_p90__n,
      COALESCE(cur_g0_tickets.m_tickets, 0) AS backlog
    FROM (
      SELECT
        cur_periods.period AS period,
        cur_dims.d0 AS d0
      FROM VALUES
        (CAST('2026-01-01' AS DATE)),
        (CAST('2026-02-01' AS DATE)),
        (CAST('2026-03-01' AS DATE)) AS cur_periods(period)
      JOIN (
        SELECT
          cur_g0_tickets.d0 AS d0
        FROM cur_g0_tickets
        UNION
        SELECT
          cur_g1_tickets.d0 AS d0
        FROM cur_g1_tickets
        UNION
        SELECT
          cur_g2_surveys.d0 AS d0
        FROM cur_g2_surveys
      ) AS cur_dims
        ON TRUE
    ) AS cur_spine
    LEFT OUTER JOIN cur_g0_tickets
      ON cur_g0_tickets.period IS NOT DISTINCT FROM cur_spine.period
      AND cur_g0_tickets.d0 IS NOT DISTINCT FROM cur_spine.d0
    LEFT OUTER JOIN cur_g1_tickets
      ON cur_g1_tickets.period IS NOT DISTINCT FROM cur_spine.period
      AND cur_g1_tickets.d0 IS NOT DISTINCT FROM cur_spine.d0
    LEFT OUTER JOIN cur_g2_surveys
      ON cur_g2_surveys.period IS NOT DISTINCT FROM cur_spine.period
      AND cur_g2_surveys.d0 IS NOT DISTINCT FROM cur_spine.d0
  ) AS cur
  LEFT OUTER JOIN (
    SELECT
      cmp_spine.period AS period,
      cmp_spine.d0 AS d0,
      (
        CAST(COALESCE(cmp_g2_surveys.m_csat_satisfied, 0) AS DOUBLE) * 100.0
      ) / NULLIF(CAST(COALESCE(cmp_g2_surveys.m_csat_rated, 0) AS DOUBLE), 0) AS csat,
      COALESCE(cmp_g2_surveys.m_csat_rated, 0) AS csat__n,
      cmp_g1_tickets.m_first_response_hours_p90 AS first_response_time_p90,
      COALESCE(cmp_g1_tickets.n_first_response_hours_p90, 0) AS first_response_time_p90__n,
      COALESCE(cmp_g0_tickets.m_tickets, 0) AS backlog
    FROM (
      SELECT
        cmp_periods.period AS period,
        cmp_dims.d0 AS d0
      FROM VALUES
        (CAST('2026-01-01' AS DATE)),
        (CAST('2026-02-01' AS DATE)),
        (CAST('2026-03-01' AS DATE)) AS cmp_periods(period)
      JOIN (
        SELECT
          cmp_g0_tickets.d0 AS d0
        FROM cmp_g0_tickets
        UNION
        SELECT
          cmp_g1_tickets.d0 AS d0
        FROM cmp_g1_tickets
        UNION
        SELECT
          cmp_g2_surveys.d0 AS d0
        FROM cmp_g2_surveys
      ) AS cmp_dims
        ON TRUE
    ) AS cmp_spine
    LEFT OUTER JOIN cmp_g0_tickets
      ON cmp_g0_tickets.period IS NOT DISTINCT FROM cmp_spine.period
      AND cmp_g0_tickets.d0 IS NOT DISTINCT FROM cmp_spine.d0
    LEFT OUTER JOIN cmp_g1_tickets
      ON cmp_g1_tickets.period IS NOT DISTINCT FROM cmp_spine.period
      AND cmp_g1_tickets.d0 IS NOT DISTINCT FROM cmp_spine.d0
    LEFT OUTER JOIN cmp_g2_surveys
      ON cmp_g2_surveys.period IS NOT DISTINCT FROM cmp_spine.period
      AND cmp_g2_surveys.d0 IS NOT DISTINCT FROM cmp_spine.d0
  ) AS cmp
    ON cur.period IS NOT DISTINCT FROM cmp.period AND cur.d0 IS NOT DISTINCT FROM cmp.d0
) AS result
ORDER BY
  result.period ASC NULLS LAST,
  result.d0 ASC NULLS LAST
