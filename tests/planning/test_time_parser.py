"""Time phrases (zh/en) -> absolute ranges: a wide table, sentences, errors and a property."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.planning.time_parser import (
    PREVIOUS_PERIOD,
    SAME_PERIOD_LAST_YEAR,
    TimeParseError,
    chinese_number,
    parse_time,
)

SUN = date(2026, 11, 22)  # a Sunday; this (Monday) week began 2026-11-16
JAN3 = date(2026, 1, 3)  # a Saturday; this week began 2025-12-29
MAR31 = date(2026, 3, 31)  # last day of Q1
LEAP = date(2028, 2, 29)  # leap day
MAR1 = date(2028, 3, 1)  # day after a leap day
DEC31 = date(2026, 12, 31)  # last day of the year
OCT1 = date(2026, 10, 1)  # first day of Q4
PP, YOY = PREVIOUS_PERIOD, SAME_PERIOD_LAST_YEAR

# phrase, today, start, end (exclusive), grain_hint, compare
CASES = [
    # ---- days
    ("今天", SUN, "2026-11-22", "2026-11-23", None, None),
    ("today", JAN3, "2026-01-03", "2026-01-04", None, None),
    ("昨天", JAN3, "2026-01-02", "2026-01-03", None, None),
    ("yesterday", MAR1, "2028-02-29", "2028-03-01", None, None),
    ("昨日", LEAP, "2028-02-28", "2028-02-29", None, None),
    ("前天", MAR1, "2028-02-28", "2028-02-29", None, None),
    ("the day before yesterday", OCT1, "2026-09-29", "2026-09-30", None, None),
    # ---- weeks (Monday start; this week is to date)
    ("本周", SUN, "2026-11-16", "2026-11-23", None, None),
    ("这周", JAN3, "2025-12-29", "2026-01-04", None, None),
    ("this week", DEC31, "2026-12-28", "2027-01-01", None, None),
    ("上周", SUN, "2026-11-09", "2026-11-16", None, None),
    ("上一周", JAN3, "2025-12-22", "2025-12-29", None, None),
    ("last week", MAR1, "2028-02-21", "2028-02-28", None, None),
    ("上个星期", OCT1, "2026-09-21", "2026-09-28", None, None),
    ("上上周", SUN, "2026-11-02", "2026-11-09", None, None),
    ("the week before last", JAN3, "2025-12-15", "2025-12-22", None, None),
    ("上周一", SUN, "2026-11-09", "2026-11-10", None, None),
    ("上周日", SUN, "2026-11-15", "2026-11-16", None, None),
    ("上周末", SUN, "2026-11-14", "2026-11-16", None, None),
    ("last weekend", JAN3, "2025-12-27", "2025-12-29", None, None),
    ("本周三", DEC31, "2026-12-30", "2026-12-31", None, None),
    # ---- months
    ("本月", SUN, "2026-11-01", "2026-11-23", None, None),
    ("这个月", LEAP, "2028-02-01", "2028-03-01", None, None),
    ("this month", MAR1, "2028-03-01", "2028-03-02", None, None),
    ("MTD", DEC31, "2026-12-01", "2027-01-01", None, None),
    ("上个月", SUN, "2026-10-01", "2026-11-01", None, None),
    ("上月", JAN3, "2025-12-01", "2026-01-01", None, None),
    ("last month", MAR31, "2026-02-01", "2026-03-01", None, None),
    ("last month", MAR1, "2028-02-01", "2028-03-01", None, None),
    ("上一个月", LEAP, "2028-01-01", "2028-02-01", None, None),
    ("previous month", OCT1, "2026-09-01", "2026-10-01", None, None),
    ("上上个月", JAN3, "2025-11-01", "2025-12-01", None, None),
    ("the month before last", MAR31, "2026-01-01", "2026-02-01", None, None),
    ("上上月", MAR1, "2028-01-01", "2028-02-01", None, None),
    # ---- quarters
    ("本季度", SUN, "2026-10-01", "2026-11-23", None, None),
    ("this quarter", OCT1, "2026-10-01", "2026-10-02", None, None),
    ("QTD", MAR31, "2026-01-01", "2026-04-01", None, None),
    ("上季度", JAN3, "2025-10-01", "2026-01-01", None, None),
    ("上个季度", OCT1, "2026-07-01", "2026-10-01", None, None),
    ("last quarter", MAR31, "2025-10-01", "2026-01-01", None, None),
    ("last quarter", LEAP, "2027-10-01", "2028-01-01", None, None),
    ("上上季度", SUN, "2026-04-01", "2026-07-01", None, None),
    ("the quarter before last", JAN3, "2025-07-01", "2025-10-01", None, None),
    # ---- years
    ("今年", SUN, "2026-01-01", "2026-11-23", None, None),
    ("this year", JAN3, "2026-01-01", "2026-01-04", None, None),
    ("YTD", DEC31, "2026-01-01", "2027-01-01", None, None),
    ("今年以来", LEAP, "2028-01-01", "2028-03-01", None, None),
    ("year to date", MAR1, "2028-01-01", "2028-03-02", None, None),
    ("年初至今", OCT1, "2026-01-01", "2026-10-02", None, None),
    ("去年", SUN, "2025-01-01", "2026-01-01", None, None),
    ("last year", JAN3, "2025-01-01", "2026-01-01", None, None),
    ("前年", LEAP, "2026-01-01", "2027-01-01", None, None),
    ("the year before last", SUN, "2024-01-01", "2025-01-01", None, None),
    # ---- rolling windows: N days = [today-N, today); N months = N complete months
    ("近7天", SUN, "2026-11-15", "2026-11-22", None, None),
    ("最近7天", MAR1, "2028-02-23", "2028-03-01", None, None),
    ("过去7天", JAN3, "2025-12-27", "2026-01-03", None, None),
    ("last 7 days", LEAP, "2028-02-22", "2028-02-29", None, None),
    ("past 7 days", OCT1, "2026-09-24", "2026-10-01", None, None),
    ("近30天", MAR31, "2026-03-01", "2026-03-31", None, None),
    ("last 30 days", MAR1, "2028-01-31", "2028-03-01", None, None),
    ("近七天", DEC31, "2026-12-24", "2026-12-31", None, None),
    ("the last seven days", SUN, "2026-11-15", "2026-11-22", None, None),
    ("最近一周", SUN, "2026-11-15", "2026-11-22", None, None),
    ("最近两周", SUN, "2026-11-08", "2026-11-22", None, None),
    ("过去两周", JAN3, "2025-12-20", "2026-01-03", None, None),
    ("past 2 weeks", LEAP, "2028-02-15", "2028-02-29", None, None),
    ("近三个月", SUN, "2026-08-01", "2026-11-01", None, None),
    ("过去三个月", JAN3, "2025-10-01", "2026-01-01", None, None),
    ("last 3 months", MAR31, "2025-12-01", "2026-03-01", None, None),
    ("past three months", MAR1, "2027-12-01", "2028-03-01", None, None),
    ("近3个月", OCT1, "2026-07-01", "2026-10-01", None, None),
    ("近一年", SUN, "2025-11-01", "2026-11-01", None, None),
    ("last 12 months", JAN3, "2025-01-01", "2026-01-01", None, None),
    ("past year", LEAP, "2027-02-01", "2028-02-01", None, None),
    ("TTM", DEC31, "2025-12-01", "2026-12-01", None, None),
    ("近半年", SUN, "2026-05-01", "2026-11-01", None, None),
    ("最近半年", JAN3, "2025-07-01", "2026-01-01", None, None),
    ("半年", MAR31, "2025-09-01", "2026-03-01", None, None),
    ("近两个季度", SUN, "2026-04-01", "2026-10-01", None, None),
    ("last 4 quarters", JAN3, "2025-01-01", "2026-01-01", None, None),
    ("近两年", OCT1, "2024-10-01", "2026-10-01", None, None),
    # ---- halves
    ("上半年", SUN, "2026-01-01", "2026-07-01", None, None),
    ("下半年", SUN, "2026-07-01", "2026-11-23", None, None),
    ("下半年", MAR31, "2025-07-01", "2026-01-01", None, None),
    ("上半年", MAR31, "2026-01-01", "2026-04-01", None, None),
    ("H1", LEAP, "2028-01-01", "2028-03-01", None, None),
    ("H2", JAN3, "2025-07-01", "2026-01-01", None, None),
    ("2025年上半年", SUN, "2025-01-01", "2025-07-01", None, None),
    ("去年下半年", SUN, "2025-07-01", "2026-01-01", None, None),
    ("H1 2026", DEC31, "2026-01-01", "2026-07-01", None, None),
    ("first half of 2025", SUN, "2025-01-01", "2025-07-01", None, None),
    ("2026H2", SUN, "2026-07-01", "2026-11-23", None, None),
    # ---- months by name (no year: the most recent that has started)
    ("2026年10月", SUN, "2026-10-01", "2026-11-01", None, None),
    ("2026年10月", OCT1, "2026-10-01", "2026-10-02", None, None),
    ("10月", SUN, "2026-10-01", "2026-11-01", None, None),
    ("10月", MAR31, "2025-10-01", "2025-11-01", None, None),
    ("10月", OCT1, "2026-10-01", "2026-10-02", None, None),
    ("十月", JAN3, "2025-10-01", "2025-11-01", None, None),
    ("十二月", DEC31, "2026-12-01", "2027-01-01", None, None),
    ("12月", JAN3, "2025-12-01", "2026-01-01", None, None),
    ("2月", LEAP, "2028-02-01", "2028-03-01", None, None),
    ("2月", MAR1, "2028-02-01", "2028-03-01", None, None),
    ("2月份", SUN, "2026-02-01", "2026-03-01", None, None),
    ("2026-10", SUN, "2026-10-01", "2026-11-01", None, None),
    ("2026/09", SUN, "2026-09-01", "2026-10-01", None, None),
    ("Oct 2026", SUN, "2026-10-01", "2026-11-01", None, None),
    ("October", JAN3, "2025-10-01", "2025-11-01", None, None),
    ("October 2025", SUN, "2025-10-01", "2025-11-01", None, None),
    ("Feb 2028", MAR1, "2028-02-01", "2028-03-01", None, None),
    ("去年10月", SUN, "2025-10-01", "2025-11-01", None, None),
    ("October last year", SUN, "2025-10-01", "2025-11-01", None, None),
    ("二〇二五年三月", SUN, "2025-03-01", "2025-04-01", None, None),
    ("２０２６年１０月", SUN, "2026-10-01", "2026-11-01", None, None),
    ("25年10月", SUN, "2025-10-01", "2025-11-01", None, None),
    # ---- quarters by name
    ("2026年Q3", SUN, "2026-07-01", "2026-10-01", None, None),
    ("2026年第三季度", SUN, "2026-07-01", "2026-10-01", None, None),
    ("2026年三季度", SUN, "2026-07-01", "2026-10-01", None, None),
    ("Q3 2026", SUN, "2026-07-01", "2026-10-01", None, None),
    ("Q3", SUN, "2026-07-01", "2026-10-01", None, None),
    ("Q3", MAR31, "2025-07-01", "2025-10-01", None, None),
    ("Q4", OCT1, "2026-10-01", "2026-10-02", None, None),
    ("三季度", JAN3, "2025-07-01", "2025-10-01", None, None),
    ("第一季度", MAR31, "2026-01-01", "2026-04-01", None, None),
    ("一季度", LEAP, "2028-01-01", "2028-03-01", None, None),
    ("2026 Q1", SUN, "2026-01-01", "2026-04-01", None, None),
    ("2026-Q2", SUN, "2026-04-01", "2026-07-01", None, None),
    ("the third quarter of 2025", SUN, "2025-07-01", "2025-10-01", None, None),
    ("Q4 last year", SUN, "2025-10-01", "2026-01-01", None, None),
    ("去年第四季度", JAN3, "2025-10-01", "2026-01-01", None, None),
    ("今年前三季度", SUN, "2026-01-01", "2026-10-01", None, None),
    ("前三季度", DEC31, "2026-01-01", "2026-10-01", None, None),
    ("2025年前5个月", SUN, "2025-01-01", "2025-06-01", None, None),
    ("1-3季度", SUN, "2026-01-01", "2026-10-01", None, None),
    # ---- years
    ("2025年", SUN, "2025-01-01", "2026-01-01", None, None),
    ("2025", SUN, "2025-01-01", "2026-01-01", None, None),
    ("FY2025", SUN, "2025-01-01", "2026-01-01", None, None),
    ("FY25", SUN, "2025-01-01", "2026-01-01", None, None),
    ("2025年度", SUN, "2025-01-01", "2026-01-01", None, None),
    ("二〇二五年", SUN, "2025-01-01", "2026-01-01", None, None),
    ("2026年", SUN, "2026-01-01", "2026-11-23", None, None),
    ("2027年", SUN, "2027-01-01", "2028-01-01", None, None),  # future: as written
    # ---- single days
    ("10月1日", SUN, "2026-10-01", "2026-10-02", None, None),
    ("10月1日", MAR31, "2025-10-01", "2025-10-02", None, None),
    ("10月1号", SUN, "2026-10-01", "2026-10-02", None, None),
    ("2026年10月1日", SUN, "2026-10-01", "2026-10-02", None, None),
    ("2026-10-01", SUN, "2026-10-01", "2026-10-02", None, None),
    ("2026/10/01", SUN, "2026-10-01", "2026-10-02", None, None),
    ("Oct 1", SUN, "2026-10-01", "2026-10-02", None, None),
    ("October 1st, 2025", SUN, "2025-10-01", "2025-10-02", None, None),
    ("1 Oct 2026", SUN, "2026-10-01", "2026-10-02", None, None),
    ("2月29日", LEAP, "2028-02-29", "2028-03-01", None, None),
    ("2月29日", MAR1, "2028-02-29", "2028-03-01", None, None),
    ("12月31日", JAN3, "2025-12-31", "2026-01-01", None, None),
    ("10月底", SUN, "2026-10-31", "2026-11-01", None, None),
    ("2月底", MAR1, "2028-02-29", "2028-03-01", None, None),
    # ---- explicit ranges (an end date in the phrase is inclusive)
    ("2026年10月1日到10月15日", SUN, "2026-10-01", "2026-10-16", None, None),
    ("10月1日-15日", SUN, "2026-10-01", "2026-10-16", None, None),
    ("10月1号到15号", SUN, "2026-10-01", "2026-10-16", None, None),
    ("5月到8月", SUN, "2026-05-01", "2026-09-01", None, None),
    ("5月至8月", SUN, "2026-05-01", "2026-09-01", None, None),
    ("5-8月", SUN, "2026-05-01", "2026-09-01", None, None),
    ("五到八月", MAR31, "2025-05-01", "2025-09-01", None, None),
    ("from May to August", SUN, "2026-05-01", "2026-09-01", None, None),
    ("May-Aug", SUN, "2026-05-01", "2026-09-01", None, None),
    ("May to Aug 2025", SUN, "2025-05-01", "2025-09-01", None, None),
    ("between 2026-05-01 and 2026-08-31", SUN, "2026-05-01", "2026-09-01", None, None),
    ("从2026-05-01到2026-08-31", SUN, "2026-05-01", "2026-09-01", None, None),
    ("Oct 1-15", SUN, "2026-10-01", "2026-10-16", None, None),
    ("11月到2月", MAR31, "2025-11-01", "2026-03-01", None, None),
    ("Q1-Q3", SUN, "2026-01-01", "2026-10-01", None, None),
    ("2025-2026", SUN, "2025-01-01", "2026-11-23", None, None),
    ("2025年到2026年", JAN3, "2025-01-01", "2026-01-04", None, None),
    ("上个月到本月", SUN, "2026-10-01", "2026-11-23", None, None),
    ("week 40-45", SUN, "2026-09-28", "2026-11-09", None, None),
    ("第40到45周", SUN, "2026-09-28", "2026-11-09", None, None),
    # ---- festivals
    ("双十一", SUN, "2026-11-01", "2026-11-12", None, None),
    ("双11", OCT1, "2025-11-01", "2025-11-12", None, None),
    ("2025年双十一", SUN, "2025-11-01", "2025-11-12", None, None),
    ("去年双十一", SUN, "2025-11-01", "2025-11-12", None, None),
    ("Double 11", JAN3, "2025-11-01", "2025-11-12", None, None),
    ("618", SUN, "2026-06-01", "2026-06-19", None, None),
    ("618", MAR31, "2025-06-01", "2025-06-19", None, None),
    ("2025年618", SUN, "2025-06-01", "2025-06-19", None, None),
    ("春节", SUN, "2026-02-14", "2026-02-24", None, None),
    ("春节", JAN3, "2025-01-26", "2025-02-05", None, None),
    ("春节期间", LEAP, "2028-01-23", "2028-02-02", None, None),
    ("2024年春节", SUN, "2024-02-07", "2024-02-17", None, None),
    ("Spring Festival", MAR1, "2028-01-23", "2028-02-02", None, None),
    # ---- since X = [start of X, today+1)
    ("since June", SUN, "2026-06-01", "2026-11-23", None, None),
    ("since June", MAR31, "2025-06-01", "2026-04-01", None, None),
    ("6月以来", SUN, "2026-06-01", "2026-11-23", None, None),
    ("自6月起", SUN, "2026-06-01", "2026-11-23", None, None),
    ("从6月开始", SUN, "2026-06-01", "2026-11-23", None, None),
    ("6月至今", SUN, "2026-06-01", "2026-11-23", None, None),
    ("从6月到现在", SUN, "2026-06-01", "2026-11-23", None, None),
    ("from June onwards", SUN, "2026-06-01", "2026-11-23", None, None),
    ("since 2026-10-15", SUN, "2026-10-15", "2026-11-23", None, None),
    ("自上个月以来", SUN, "2026-10-01", "2026-11-23", None, None),
    ("since last quarter", JAN3, "2025-10-01", "2026-01-04", None, None),
    ("10月1日起", OCT1, "2026-10-01", "2026-10-02", None, None),
    # ---- until X (alone) = [Jan 1 of X's year, end of X)
    ("截至10月15日", SUN, "2026-01-01", "2026-10-16", None, None),
    ("截止到上个月", SUN, "2026-01-01", "2026-11-01", None, None),
    ("截至目前", SUN, "2026-01-01", "2026-11-23", None, None),
    ("until Oct 15", SUN, "2026-01-01", "2026-10-16", None, None),
    ("到9月为止", SUN, "2026-01-01", "2026-10-01", None, None),
    ("今年截至10月15日", SUN, "2026-01-01", "2026-10-16", None, None),
    ("from June until Oct 15", SUN, "2026-06-01", "2026-10-16", None, None),
    # ---- ISO weeks
    ("week 45", SUN, "2026-11-02", "2026-11-09", None, None),
    ("第45周", SUN, "2026-11-02", "2026-11-09", None, None),
    ("2026年第45周", SUN, "2026-11-02", "2026-11-09", None, None),
    ("2026-W45", SUN, "2026-11-02", "2026-11-09", None, None),
    ("W45", SUN, "2026-11-02", "2026-11-09", None, None),
    ("week 45 of 2025", SUN, "2025-11-03", "2025-11-10", None, None),
    ("第四十五周", SUN, "2026-11-02", "2026-11-09", None, None),
    ("第1周", JAN3, "2025-12-29", "2026-01-04", None, None),
    ("week 53", DEC31, "2026-12-28", "2027-01-01", None, None),
    ("第47周", SUN, "2026-11-16", "2026-11-23", None, None),
    ("第48周", SUN, "2025-11-24", "2025-12-01", None, None),
    # ---- comparisons (no range)
    ("环比", SUN, None, None, None, PP),
    ("同比", SUN, None, None, None, YOY),
    ("去年同期", SUN, None, None, None, YOY),
    ("上年同期", SUN, None, None, None, YOY),
    ("YoY", SUN, None, None, None, YOY),
    ("year over year", SUN, None, None, None, YOY),
    ("year-on-year", SUN, None, None, None, YOY),
    ("same period last year", SUN, None, None, None, YOY),
    ("vs last year", SUN, None, None, None, YOY),
    ("比去年", SUN, None, None, None, YOY),
    ("和去年比", SUN, None, None, None, YOY),
    ("与去年同期相比", SUN, None, None, None, YOY),
    ("MoM", SUN, None, None, None, PP),
    ("month over month", SUN, None, None, None, PP),
    ("month-on-month", SUN, None, None, None, PP),
    ("WoW", SUN, None, None, None, PP),
    ("week over week", SUN, None, None, None, PP),
    ("QoQ", SUN, None, None, None, PP),
    ("compared to the previous month", SUN, None, None, None, PP),
    ("compared with the month before", SUN, None, None, None, PP),
    ("vs previous period", SUN, None, None, None, PP),
    ("和前一个月比", SUN, None, None, None, PP),
    ("上期", SUN, None, None, None, PP),
    # ---- a period inside a comparison stays a range (the planner decides)
    ("和上个月比", SUN, "2026-10-01", "2026-11-01", None, None),
    ("compared to last month", SUN, "2026-10-01", "2026-11-01", None, None),
    # ---- grain words (no range)
    ("每天", SUN, None, None, "day", None),
    ("每日", SUN, None, None, "day", None),
    ("按天", SUN, None, None, "day", None),
    ("daily", SUN, None, None, "day", None),
    ("by day", SUN, None, None, "day", None),
    ("每周", SUN, None, None, "week", None),
    ("按周", SUN, None, None, "week", None),
    ("weekly", SUN, None, None, "week", None),
    ("by week", SUN, None, None, "week", None),
    ("每月", SUN, None, None, "month", None),
    ("按月", SUN, None, None, "month", None),
    ("月度", SUN, None, None, "month", None),
    ("monthly", SUN, None, None, "month", None),
    ("by month", SUN, None, None, "month", None),
    ("每季度", SUN, None, None, "quarter", None),
    ("按季度", SUN, None, None, "quarter", None),
    ("quarterly", SUN, None, None, "quarter", None),
    ("每年", SUN, None, None, "year", None),
    ("按年", SUN, None, None, "year", None),
    ("yearly", SUN, None, None, "year", None),
    ("annually", SUN, None, None, "year", None),
    # ---- a grain word next to a range is fused into it
    ("近30天每天", SUN, "2026-10-23", "2026-11-22", "day", None),
    ("2026年每月", SUN, "2026-01-01", "2026-11-23", "month", None),
    ("weekly for the last 8 weeks", SUN, "2026-09-27", "2026-11-22", "week", None),
]


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@pytest.mark.parametrize(
    ("phrase", "today", "start", "end", "grain", "compare"),
    CASES,
    ids=[f"{c[0]}@{c[1]}" for c in CASES],
)
def test_phrase_table(
    phrase: str,
    today: date,
    start: str | None,
    end: str | None,
    grain: str | None,
    compare: str | None,
) -> None:
    matches = parse_time(phrase, today)
    assert len(matches) == 1, matches
    (match,) = matches
    assert match.span == (0, len(phrase))
    assert match.text == phrase
    assert match.compare == compare
    assert match.grain_hint == grain
    if start is None:
        assert match.range is None
    else:
        assert match.range is not None
        assert (match.range.start, match.range.end) == (_d(start), _d(end))
        assert match.range.grain_hint == grain


def test_the_table_is_wide() -> None:
    assert len(CASES) >= 150
    assert {c[1] for c in CASES} == {SUN, JAN3, MAR31, LEAP, MAR1, DEC31, OCT1}


# ---- questions with several phrases -------------------------------------------------------

R = tuple[str, str | None, str | None, str | None, str | None]  # text, start, end, grain, compare
SENTENCES: list[tuple[str, date, list[R]]] = [
    (
        "上个月华东区的客户满意度是多少，和前一个月比呢？",
        SUN,
        [
            ("上个月", "2026-10-01", "2026-11-01", None, None),
            ("和前一个月比", None, None, None, PP),
        ],
    ),
    (
        "Which channels breached SLA most last quarter?",
        SUN,
        [("last quarter", "2026-07-01", "2026-10-01", None, None)],
    ),
    (
        "Which channels breached SLA most last quarter?",
        JAN3,
        [("last quarter", "2025-10-01", "2026-01-01", None, None)],
    ),
    (
        "2026年Q3各渠道的首次响应时间中位数",
        SUN,
        [("2026年Q3", "2026-07-01", "2026-10-01", None, None)],
    ),
    (
        "show weekly complaint volume since June",
        SUN,
        [
            ("weekly", None, None, "week", None),
            ("since June", "2026-06-01", "2026-11-23", None, None),
        ],
    ),
    (
        "5月和6月比",
        SUN,
        [
            ("5月", "2026-05-01", "2026-06-01", None, None),
            ("和6月比", "2026-06-01", "2026-07-01", None, None),
        ],
    ),
    (
        "Q3 vs Q2",
        SUN,
        [
            ("Q3", "2026-07-01", "2026-10-01", None, None),
            ("vs Q2", "2026-04-01", "2026-07-01", None, None),
        ],
    ),
    (
        "上个月华东区投诉率是多少？和上上个月比呢？",
        JAN3,
        [
            ("上个月", "2025-12-01", "2026-01-01", None, None),
            ("和上上个月比", "2025-11-01", "2025-12-01", None, None),
        ],
    ),
    (
        "本月投诉量环比变化",
        SUN,
        [("本月", "2026-11-01", "2026-11-23", None, None), ("环比", None, None, None, PP)],
    ),
    (
        "今年的CSAT和去年比怎么样",
        SUN,
        [("今年", "2026-01-01", "2026-11-23", None, None), ("和去年比", None, None, None, YOY)],
    ),
    ("近30天每天的工单量", SUN, [("近30天每天", "2026-10-23", "2026-11-22", "day", None)]),
    (
        "按月看过去6个月的投诉量",
        SUN,
        [
            ("按月", None, None, "month", None),
            ("过去6个月", "2026-05-01", "2026-11-01", None, None),
        ],
    ),
    (
        "2026年10月各区域的NPS同比变化",
        SUN,
        [("2026年10月", "2026-10-01", "2026-11-01", None, None), ("同比", None, None, None, YOY)],
    ),
    ("top 5 categories last month", SUN, [("last month", "2026-10-01", "2026-11-01", None, None)]),
    ("上周前5名的客服是谁", SUN, [("上周", "2026-11-09", "2026-11-16", None, None)]),
    (
        "What was CSAT in Q3 2026 compared with the same period last year?",
        SUN,
        [
            ("Q3 2026", "2026-07-01", "2026-10-01", None, None),
            ("compared with the same period last year", None, None, None, YOY),
        ],
    ),
    (
        "show CSAT monthly for the last 6 months",
        SUN,
        [("monthly for the last 6 months", "2026-05-01", "2026-11-01", "month", None)],
    ),
    (
        "双十一期间的退货投诉和去年双十一比",
        SUN,
        [
            ("双十一期间", "2026-11-01", "2026-11-12", None, None),
            ("和去年双十一比", "2025-11-01", "2025-11-12", None, None),
        ],
    ),
    (
        "Ticket volume by week between 2026-05-01 and 2026-08-31",
        SUN,
        [("by week between 2026-05-01 and 2026-08-31", "2026-05-01", "2026-09-01", "week", None)],
    ),
    ("上个月，ＮＰＳ是多少？", SUN, [("上个月", "2026-10-01", "2026-11-01", None, None)]),
    ("May I see complaints in May?", SUN, [("May", "2026-05-01", "2026-06-01", None, None)]),
]


@pytest.mark.parametrize(
    ("question", "today", "expected"), SENTENCES, ids=[s[0] for s in SENTENCES]
)
def test_sentences(question: str, today: date, expected: list[R]) -> None:
    matches = parse_time(question, today)
    got = [
        (
            m.text,
            m.range and m.range.start.isoformat(),
            m.range and m.range.end.isoformat(),
            m.grain_hint,
            m.compare,
        )
        for m in matches
    ]
    assert got == expected
    for m in matches:
        assert question[m.span[0] : m.span[1]] == m.text
    spans = [m.span for m in matches]
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


NOT_TIME = [
    "前5名",
    "top 5",
    "7个渠道",
    "ticket 12345",
    "P90",
    "满意度4分以上",
    "1000单",
    "2000单",
    "工单2025的处理进度",
    "订单618",
    "618单",
    "3天内解决率",
    "7天无理由退货",
    "48小时响应率",
    "May I see the ticket volume?",
    "周一的工单量",
    "周末的工单",
    "投诉趋势",
    "show the trend",
    "CSAT 4.5",
    "NPS 0-10",
    "survey Q5",
    "首次响应时间中位数",
    "last 5 tickets",
    "top 10 agents",
    "三个渠道",
    "前三个月",
]


@pytest.mark.parametrize("question", NOT_TIME)
def test_numbers_that_are_not_time(question: str) -> None:
    assert parse_time(question, SUN) == []


# ---- errors ---------------------------------------------------------------------------------

ERRORS = [
    ("2026年13月", "month 13"),
    ("13月的投诉", "month 13"),
    ("2月30日", "February has at most 29 days"),
    ("4月31日", "April has at most 30 days"),
    ("2026-02-30", "February has at most 29 days"),
    ("2026年2月29日", "2026 is not a leap year"),
    ("2月29日", "2026 is not a leap year"),  # bare: this year's February 29th (2026)
    ("第54周", "no week 54"),
    ("2027年第53周", "2027 has only 52 weeks"),
    ("第五季度", "4 quarters"),
    ("近0天", "empty"),
    ("since 2027", "after today"),
    ("2026-08-01到2026-05-01", "before it starts"),
    ("2040年春节", "2018-2032"),
]


@pytest.mark.parametrize(("question", "why"), ERRORS)
def test_impossible_dates_raise(question: str, why: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_time(question, SUN)
    assert why in str(info.value)
    assert info.value.phrase in question
    assert f"'{info.value.phrase}'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_error_message_text() -> None:
    with pytest.raises(TimeParseError) as info:
        parse_time("2026年13月华东区投诉量", SUN)
    assert str(info.value) == (
        "The time phrase '2026年13月' is not a valid period: there is no month 13 "
        "(months are 1-12)."
    )


# ---- labels, week start, numerals -----------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "today", "label"),
    [
        ("上个月", SUN, "2026-10 (last month)"),
        ("本月", SUN, "2026-11 (this month, to date)"),
        ("本周", SUN, "2026-11-16 to 2026-11-22 (this week, to date)"),
        ("近7天", SUN, "2026-11-15 to 2026-11-21 (last 7 days)"),
        ("近三个月", SUN, "2026-08-01 to 2026-10-31 (last 3 full months)"),
        ("Q3", SUN, "2026-Q3"),
        ("2025年上半年", SUN, "2025-H1"),
        ("第45周", SUN, "2026-W45"),
        ("YTD", SUN, "2026 (year to date)"),
        ("since June", SUN, "2026-06-01 to 2026-11-22 (since 2026-06)"),
        ("5月到8月", SUN, "2026-05-01 to 2026-08-31"),
        ("双十一", SUN, "2026 Double 11"),
        ("2026年Q4", OCT1, "2026-Q4 (to date)"),
    ],
)
def test_labels(phrase: str, today: date, label: str) -> None:
    (match,) = parse_time(phrase, today)
    assert match.range is not None and match.range.label == label


def test_week_start_sunday() -> None:
    (this,) = parse_time("本周", SUN, week_start=6)
    (last,) = parse_time("last week", SUN, week_start=6)
    assert (this.range.start, this.range.end) == (date(2026, 11, 22), date(2026, 11, 23))
    assert (last.range.start, last.range.end) == (date(2026, 11, 15), date(2026, 11, 22))


def test_week_start_is_checked() -> None:
    with pytest.raises(ValueError, match="week_start"):
        parse_time("本周", SUN, week_start=7)


def test_full_width_spans_point_into_the_original_question() -> None:
    question = "请给出２０２６年１０月１日到１０月１５日的投诉量"
    (match,) = parse_time(question, SUN)
    assert match.text == "２０２６年１０月１日到１０月１５日"
    assert (match.range.start, match.range.end) == (date(2026, 10, 1), date(2026, 10, 16))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("四十五", 45),
        ("两", 2),
        ("二〇二六", 2026),
        ("一百", 100),
        ("三十一", 31),
        ("7", 7),
        ("seven", 7),
    ],
)
def test_chinese_number(text: str, value: int) -> None:
    assert chinese_number(text) == value


def test_no_match_is_an_empty_list() -> None:
    assert parse_time("", SUN) == []
    assert parse_time("华东区投诉率是多少", SUN) == []


# ---- property: relative phrases never reach into the future --------------------------------

RELATIVE = [
    "今天",
    "昨天",
    "前天",
    "本周",
    "这周",
    "上周",
    "上一周",
    "上上周",
    "本月",
    "这个月",
    "上个月",
    "上月",
    "上上个月",
    "本季度",
    "上季度",
    "上上季度",
    "今年",
    "今年以来",
    "去年",
    "前年",
    "近7天",
    "最近7天",
    "过去7天",
    "近30天",
    "近三个月",
    "过去三个月",
    "近一年",
    "最近一周",
    "最近两周",
    "近半年",
    "上半年",
    "下半年",
    "10月",
    "2月",
    "三季度",
    "Q1",
    "H2",
    "第1周",
    "第52周",
    "10月1日",
    "10月底",
    "双十一",
    "618",
    "since June",
    "6月以来",
    "截至目前",
    "5月到8月",
    "today",
    "yesterday",
    "this week",
    "last week",
    "the week before last",
    "this month",
    "last month",
    "the month before last",
    "this quarter",
    "last quarter",
    "this year",
    "YTD",
    "last year",
    "last 7 days",
    "past 7 days",
    "last 3 months",
    "past three months",
    "last 12 months",
    "October",
    "Q3",
    "H1",
    "week 45",
    "Oct 1",
    "from May to August",
    "上周末",
    "上周一",
    "截至10月15日",
    "前三季度",
]


@settings(max_examples=300, deadline=None)
@given(today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_relative_phrases_never_reach_the_future(today: date) -> None:
    for phrase in RELATIVE:
        matches = parse_time(phrase, today)
        assert len(matches) == 1, (phrase, today, matches)
        rng = matches[0].range
        assert rng is not None, phrase
        assert rng.start < rng.end, (phrase, today, rng)
        assert rng.end <= today + timedelta(days=1), (phrase, today, rng)


def test_time_and_verified_question_errors_are_user_errors():
    # One error family: every surface prints these as messages, never as tracebacks.
    from assistant.planning.time_parser import TimeParseError
    from assistant.planning.verified import VerifiedQuestionsError
    from tools.errors import ServicePilotError

    assert issubclass(TimeParseError, ServicePilotError)
    assert issubclass(VerifiedQuestionsError, ServicePilotError)
    assert VerifiedQuestionsError.exit_code == 2
