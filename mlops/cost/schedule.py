"""How often an EventBridge schedule fires in a month: ``rate(...)`` and 6-field ``cron(...)``.

A month is 730 hours, the convention of AWS's pricing pages (8,760 hours a year / 12). Cron
expressions are counted over one fixed non-leap year (2027) and divided by 12, so the figure is
the same on every day and for every user.

Syntax: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
(minutes hours day-of-month month day-of-week year; day-of-week 1-7 is SUN-SAT; ``L``, ``W`` and
``#`` as documented there).
"""

from __future__ import annotations

import calendar
import datetime
import re

HOURS_PER_MONTH = 730.0
_YEAR = 2027

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}


def runs_per_month(expression: str) -> float:
    """Average firings a month of an EventBridge schedule expression."""
    rate = _RATE.match(expression.strip())
    if rate:
        minutes = int(rate.group(1)) * _MINUTES[rate.group(2).rstrip("s")]
        return HOURS_PER_MONTH * 60 / minutes
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split()
        if len(fields) != 6:
            raise ValueError(f"{expression}: cron needs 6 fields")
        return _cron_firings(*fields[:5]) / 12
    raise ValueError(f"{expression}: not an EventBridge schedule expression")


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    if field in ("*", "?"):
        return set(range(low, high + 1))
    found: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-")
            start, end = _number(a, names), _number(b, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        found.update(range(start, end + 1, step))
    return found


def _number(text: str, names: dict[str, int] | None) -> int:
    return names[text.upper()] if names and text.upper() in names else int(text)


def _day_matches(day: datetime.date, dom: str, dow: str) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    weekday = day.isoweekday() % 7 + 1  # EventBridge: 1 = Sunday
    if dom != "?":
        if dom == "L":
            return day.day == last
        if dom.endswith("W"):
            return day.day == _nearest_weekday(day.replace(day=int(dom[:-1]) if dom[:-1] != "L" else last))
        return day.day in _values(dom, 1, 31)
    if dow.endswith("L") and dow != "L":
        return weekday == _number(dow[:-1], _DAYS) and day.day + 7 > last
    if "#" in dow:
        wanted, nth = dow.split("#")
        return weekday == _number(wanted, _DAYS) and (day.day - 1) // 7 + 1 == int(nth)
    return weekday in _values("7" if dow == "L" else dow, 1, 7, _DAYS)


def _nearest_weekday(day: datetime.date) -> int:
    if day.weekday() == 5:  # Saturday -> Friday, unless that leaves the month
        return day.day - 1 if day.day > 1 else day.day + 2
    if day.weekday() == 6:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day + 1 if day.day < last else day.day - 2
    return day.day


def _cron_firings(minutes: str, hours: str, dom: str, month: str, dow: str) -> int:
    per_day = len(_values(minutes, 0, 59)) * len(_values(hours, 0, 23))
    months = _values(month, 1, 12, _MONTHS)
    day = datetime.date(_YEAR, 1, 1)
    days = 0
    while day.year == _YEAR:
        if day.month in months and _day_matches(day, dom, dow):
            days += 1
        day += datetime.timedelta(days=1)
    return days * per_day
