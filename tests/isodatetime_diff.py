#!/usr/bin/env python3
"""Differential test of tock's config/cycling against metomi-isodatetime.

isodatetime is the library Cylc itself uses for date-time cycling. This
script generates random cases (seeded, so runs repeat), asks both isodatetime
and tests/cycling_probe for the answer, and reports every mismatch.

Covered: cycle_point_format (isodatetime's dumper, ISO and strftime forms,
points in UTC and other zones), duration parsing, point parsing (basic/extended forms, reduced
precision, time zones, week and ordinal dates), Cylc's min(...) of points, point +/- duration (month ends, leap days) in the
gregorian, 360day, 365day and 366day calendars, and absolute recurrences
R/start/period, Rn/start/period, Rn/period/end and Rn/start/end.

Usage: isodatetime_diff.py --probe /tmp/cyc/probe [--count N] [--seed S]
"""

import argparse
import random
import subprocess
import sys

try:
    from metomi.isodatetime.data import Calendar, Duration, TimeRecurrence
except ImportError:  # Debian's python3-isodatetime, run from another python3
    sys.path.append("/usr/lib/python3/dist-packages")
    from metomi.isodatetime.data import Calendar, Duration, TimeRecurrence
from metomi.isodatetime.parsers import DurationParser, TimePointParser
from metomi.isodatetime.dumpers import TimePointDumper

CALENDARS = ["gregorian", "360day", "365day", "366day"]
POINT_PARSER = TimePointParser(assumed_time_zone=(0, 0))
DURATION_PARSER = DurationParser()
TRUNCATED_PARSER = TimePointParser(allow_truncated=True, assumed_time_zone=(0, 0))


def fmt_point(tp):
    """Write a TimePoint the way tock does: CCYYMMDDThhmm[ss]Z, in UTC."""
    # A week or ordinal date's .year is its week-year: read the calendar date.
    tp = tp.to_utc().to_calendar_date()
    out = "%04d%02d%02dT%02d%02d" % (
        tp.year, tp.month_of_year, tp.day_of_month, tp.hour_of_day,
        tp.minute_of_hour)
    if int(tp.second_of_minute):
        out += "%02d" % int(tp.second_of_minute)
    return out + "Z"


def days_in_month(cal, year, month):
    if cal == "360day":
        return 30
    if month == 2:
        leap = (cal == "366day" or (
            cal == "gregorian" and (year % 4 == 0 and year % 100 != 0 or year % 400 == 0)))
        return 29 if leap else 28
    return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def rand_point(rng, cal, zone=True, week_ordinal=False):
    """A random complete date-time string in one of the forms Cylc accepts.
    week_ordinal: also week and ordinal dates. isodatetime does arithmetic
    on those in their own form (years by week-year); tock reads them as the
    calendar date they name, so they are compared as points only."""
    year = rng.choice([rng.randint(1900, 2100), rng.choice([2000, 2024, 2100, 1900])])
    month = rng.randint(1, 12)
    dim = days_in_month(cal, year, month)
    # Month ends are where calendars and clamping differ: favour them.
    day = rng.choice([rng.randint(1, dim), dim, dim - 1, min(29, dim), 1])
    hour = rng.randint(0, 23)
    minute = rng.choice([0, 0, 30, rng.randint(0, 59)])
    form = rng.randrange(10 if week_ordinal else 6)
    if form >= 6:
        # Week dates (2005-W01-5, 2005W015) and ordinal dates (2005-023,
        # 2005023); gregorian only, the calendar ISO 8601 defines them for.
        if cal != "gregorian":
            form = rng.randrange(6)
        elif form in (6, 7):
            week = rng.choice([1, 1, 52, rng.randint(1, 52)])
            wday = rng.randint(1, 7)
            date = ("%04d-W%02d-%d" if form == 6 else "%04dW%02d%d") % (year, week, wday)
        else:
            leap = year % 4 == 0 and year % 100 != 0 or year % 400 == 0
            ordinal = rng.choice([1, 59, 60, 365 + leap, rng.randint(1, 365 + leap)])
            date = ("%04d-%03d" if form == 8 else "%04d%03d") % (year, ordinal)
        if form >= 6:
            extended = "-" in date
            text = date + ("T%02d:%02d" if extended else "T%02d%02d") % (hour, minute)
            if zone:
                text += rng.choice(["Z", "", "+01:00" if extended else "+0100"])
            return text
    if form == 0:
        text = "%04d-%02d-%02dT%02d:%02d" % (year, month, day, hour, minute)
    elif form == 1:
        text = "%04d%02d%02dT%02d%02d" % (year, month, day, hour, minute)
    elif form == 2:
        text = "%04d-%02d-%02dT%02d" % (year, month, day, hour)
    elif form == 3:
        text = "%04d%02d%02dT%02d" % (year, month, day, hour)
    elif form == 4:
        text = "%04d-%02d-%02d" % (year, month, day)
        return text
    else:
        text = "%04d-%02d-%02dT%02d:%02d:%02d" % (year, month, day, hour, minute,
                                                  rng.randint(0, 59))
    if zone:
        z = rng.choice(["Z", "Z", "", "+01:00", "-05:00", "+0530", "+09"])
        if z and ":" in z and form in (1, 3):
            z = z.replace(":", "")
        text += z
    return text


def rand_duration(rng, allow_negative=True, allow_zero=True):
    """A random ISO 8601 duration string (no fractions: tock rejects them)."""
    while True:
        if rng.random() < 0.15:
            text = "P%dW" % rng.randint(0, 60)
        else:
            parts = "P"
            # M stays below 12: tock folds 12 months into a year (see cycling.cpp).
            for unit, hi in (("Y", 5), ("M", 11), ("D", 40)):
                if rng.random() < 0.35:
                    parts += "%d%s" % (rng.randint(0, hi), unit)
            time = ""
            for unit, hi in (("H", 48), ("M", 120), ("S", 200)):
                if rng.random() < 0.3:
                    time += "%d%s" % (rng.randint(0, hi), unit)
            if time:
                parts += "T" + time
            # "P" alone is P0Y to isodatetime but an error in tock (deliberate).
            if parts == "P":
                continue
            text = parts
        if allow_negative and rng.random() < 0.2:
            text = "-" + text
        if not allow_zero and not bool(DURATION_PARSER.parse(text)):
            continue
        return text


def iso_duration(text):
    d = DURATION_PARSER.parse(text)
    def part(x):
        return x or 0  # isodatetime leaves unused parts as None
    months = part(d.years) * 12 + part(d.months)
    secs = ((part(d.weeks) * 7 + part(d.days)) * 86400 + part(d.hours) * 3600
            + part(d.minutes) * 60 + part(d.seconds))
    return "%d %d" % (months, int(secs))


def iso_add(cal, point, dur, sign):
    tp = POINT_PARSER.parse(point)
    d = DURATION_PARSER.parse(dur)
    return fmt_point(tp + d if sign > 0 else tp - d)


def iso_seq(rec, count):
    out = []
    for tp in rec:
        if len(out) >= count:
            break
        out.append(fmt_point(tp))
    return " ".join(out)


def make_cases(rng, n):
    """Yield (calendar, query for the probe, function computing the expected answer)."""
    for _ in range(n):
        cal = rng.choice(CALENDARS)
        Calendar.default().set_mode(cal)  # generation parses points too
        kind = rng.choice(["dur", "point", "add", "sub", "add", "seq", "seq", "min", "fmt"])
        if kind == "fmt":
            # A point in the workflow's zone, written with a cycle_point_format.
            tz = rng.choice([0, 0, 60, -330, 600])
            sign = "+" if tz >= 0 else "-"
            text = rand_point(rng, cal, zone=False)
            if "T" not in text:
                text += "T00"
            sep = ":" if "-" in text else ""
            text += "Z" if tz == 0 else "%s%02d%s%02d" % (sign, abs(tz) // 60, sep, abs(tz) % 60)
            form = rng.choice(["CCYYMMDDThhmmZ", "CCYY-MM-DDThhZ", "CCYYMMDDThhmm+hhmm",
                               "CCYYMMDDThh", "CCYYMMDD", "CCYY-MM-DDThhmmss", "CCYYMMDDThh+hh",
                               "%Y%m%dT%H%M%z", "%Y-%m-%dT%HZ", "%Y%m%d"])
            iso = form
            for code, token in [("%Y", "CCYY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"),
                                ("%M", "mm"), ("%S", "ss"), ("%z", "+hhmm")]:
                iso = iso.replace(code, token)
            yield cal, "fmt %s %d %s %s" % (cal, tz, form, text), \
                lambda t=text, f=iso: TimePointDumper().dump(POINT_PARSER.parse(t), f)
            continue
        if kind == "min":
            # Cylc's min(): every item read in the same context (truncated
            # points at or after it, offsets from it), the earliest wins.
            cal = "gregorian"
            Calendar.default().set_mode(cal)
            context = rand_point(rng, cal, zone=False)
            context += "Z" if "T" in context else "T00Z"
            items = []
            for _ in range(rng.randint(1, 4)):
                items.append(rng.choice([
                    "T%02d" % rng.randint(0, 23),
                    "T%02d%02d" % (rng.randint(0, 23), rng.choice([0, 30])),
                    "+PT%dH" % rng.randint(0, 48),
                    "-P%dD" % rng.randint(0, 3),
                    context]))
            # A complete point among the items: one a few hours away.
            if rng.random() < 0.5:
                near = POINT_PARSER.parse(context) + DURATION_PARSER.parse(
                    "PT%dH" % rng.randint(0, 30))
                items.append(fmt_point(near))
            text = "min(%s)" % ",".join(items)

            def expected(ctx=context, items=items):
                c = POINT_PARSER.parse(ctx)
                points = []
                for i in items:
                    if i[0] in "+-":
                        d = DURATION_PARSER.parse(i[1:])
                        points.append(c + d if i[0] == "+" else c - d)
                    elif i[0] == "T":
                        points.append(TRUNCATED_PARSER.parse(i) + c)
                    else:
                        points.append(POINT_PARSER.parse(i))
                return fmt_point(min(points))
            yield cal, "expr %s %s %s %s" % (cal, context, context, text), expected
            continue
        if kind == "dur":
            text = rand_duration(rng)
            yield cal, "dur " + text, lambda t=text: iso_duration(t)
        elif kind == "point":
            text = rand_point(rng, cal, week_ordinal=True)
            yield cal, "point %s 0 %s" % (cal, text), \
                lambda t=text: fmt_point(POINT_PARSER.parse(t))
        elif kind in ("add", "sub"):
            p = rand_point(rng, cal)
            # Exact-only durations with a zone other than UTC are fine, but
            # nominal months are added in the point's own zone by isodatetime
            # and in the workflow's zone (UTC here) by tock: keep UTC points
            # for nominal durations.
            d = rand_duration(rng)
            if any(u in d.split("T")[0] for u in "YM"):
                p = rand_point(rng, cal, zone=False) + ("Z" if "T" in p else "")
                if "T" not in p:
                    p += "T00Z"
            sign = 1 if kind == "add" else -1
            yield cal, "%s %s %s %s" % (kind, cal, p, d), \
                lambda p=p, d=d, s=sign, c=cal: iso_add(c, p, d, s)
        else:
            start = rand_point(rng, cal, zone=False)
            if "T" not in start:
                start += "T00"
            start += "Z"
            count = rng.randint(1, 12)
            form = rng.randrange(4)
            period = rand_duration(rng, allow_negative=False, allow_zero=False)
            reps = rng.randint(1, 15)
            if form == 0:
                rec = "R/%s/%s" % (start, period)
                iso = lambda s=start, p=period: TimeRecurrence(
                    start_point=POINT_PARSER.parse(s), duration=DURATION_PARSER.parse(p))
            elif form == 1:
                rec = "R%d/%s/%s" % (reps, start, period)
                iso = lambda s=start, p=period, r=reps: TimeRecurrence(
                    repetitions=r, start_point=POINT_PARSER.parse(s),
                    duration=DURATION_PARSER.parse(p))
            elif form == 2:
                rec = "R%d/%s/%s" % (reps, period, start)
                iso = lambda s=start, p=period, r=reps: TimeRecurrence(
                    repetitions=r, end_point=POINT_PARSER.parse(s),
                    duration=DURATION_PARSER.parse(p))
            else:
                # Format 1: the second point ends the first interval. Only
                # exact (day/time) gaps: isodatetime's point difference is
                # exact anyway.
                end = fmt_point(POINT_PARSER.parse(start) + DURATION_PARSER.parse(
                    "PT%dH" % rng.randint(1, 100)))
                rec = "R%d/%s/%s" % (reps, start, end)
                iso = lambda s=start, e=end, r=reps: TimeRecurrence(
                    repetitions=r, start_point=POINT_PARSER.parse(s),
                    end_point=POINT_PARSER.parse(e))
            # The probe bounds sequences below by its initial point: use one
            # well before any point of these recurrences.
            yield cal, "seq %s 0001-01-01T00Z %s %d" % (cal, rec, count), \
                lambda f=iso, c=count: iso_seq(f(), c)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probe", required=True, help="path to the cycling_probe binary")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20260101)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    cases = list(make_cases(rng, args.count))
    queries = "\n".join(q for _, q, _ in cases) + "\n"
    res = subprocess.run([args.probe], input=queries, capture_output=True, text=True,
                         timeout=600, check=False)
    if res.returncode != 0:
        print("probe failed with status %d: %s" % (res.returncode, res.stderr))
        return 2
    answers = res.stdout.split("\n")
    mismatches = 0
    for i, (cal, query, expect) in enumerate(cases):
        Calendar.default().set_mode(cal)
        try:
            want = expect()
        except Exception:  # isodatetime rejects the case
            want = "error"
        got = answers[i] if i < len(answers) else "<no answer>"
        if got != want:
            mismatches += 1
            print("MISMATCH [%s] %s\n  isodatetime: %s\n  tock:        %s" % (cal, query, want, got))
    Calendar.default().set_mode("gregorian")
    if mismatches:
        print("%d of %d cases differ" % (mismatches, len(cases)))
        return 1
    print("%d cases, all equal" % len(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
