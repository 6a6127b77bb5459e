#include <doctest/doctest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/cycling.hpp"

using namespace tock::config;

namespace {

Cycling dt(Calendar cal = Calendar::gregorian, int tz = 0) {
    return Cycling(CyclingSettings{CyclingMode::datetime, cal, tz, {}});
}

Cycling ints() {
    return Cycling(CyclingSettings{CyclingMode::integer, Calendar::gregorian, 0, {}});
}

std::string join(const Cycling& c, const std::vector<Point>& pts) {
    std::string out;
    for (const Point& p : pts) {
        if (!out.empty()) out += ' ';
        out += c.format(p);
    }
    return out;
}

// The first n points of `heading` from its initial point on.
std::string seq(const Cycling& c, const std::string& heading, const std::string& initial,
                std::optional<std::string> final = std::nullopt, std::size_t n = 5) {
    Point ip = c.parse_point(initial);
    std::optional<Point> fp;
    if (final) fp = c.parse_point(*final);
    Sequence s = c.parse_sequence(heading, ip, fp);
    return join(c, s.points(ip, Point{std::int64_t{1} << 50}, n));
}

std::string add(const Cycling& c, const std::string& p, const std::string& i) {
    return c.format(c.add(c.parse_point(p), c.parse_interval(i)));
}

// Runs f, which must throw ParseError; returns it for inspection.
template <class F>
ParseError error_of(F&& f) {
    try {
        f();
    } catch (const ParseError& e) {
        return e;
    }
    FAIL("no ParseError thrown");
    return ParseError("", 0);
}

}  // namespace

TEST_SUITE("cycling") {
    TEST_CASE("points in every ISO 8601 form Cylc accepts") {
        Cycling c = dt();
        CHECK(c.format(c.parse_point("2026-01-01T00Z")) == "20260101T0000Z");
        CHECK(c.format(c.parse_point("2026-01-01T00:00Z")) == "20260101T0000Z");
        CHECK(c.format(c.parse_point("20260101T0000Z")) == "20260101T0000Z");
        CHECK(c.format(c.parse_point("20260101T00Z")) == "20260101T0000Z");
        CHECK(c.format(c.parse_point("2026-01-01T06:30:00+01:00")) == "20260101T0530Z");
        CHECK(c.format(c.parse_point("20260101T0630+0100")) == "20260101T0530Z");
        CHECK(c.format(c.parse_point("2026-01-01T06-05")) == "20260101T1100Z");
        CHECK(c.format(c.parse_point("2026-01-01")) == "20260101T0000Z");
        CHECK(c.format(c.parse_point("2026-01-01T00")) == "20260101T0000Z");
        CHECK(c.format(c.parse_point("2026")) == "20260101T0000Z");
        CHECK(c.format(c.parse_point("2026-03")) == "20260301T0000Z");
        CHECK(c.format(c.parse_point("2026-01-01T12:34:56Z")) == "20260101T123456Z");
        CHECK(c.parse_point("2026-01-01T00Z") < c.parse_point("2026-01-01T00:01Z"));
        CHECK(c.parse_point("0001-01-01T00Z").value == 0);
    }

    TEST_CASE("time zones: reading zone-less points and writing in the offset") {
        Cycling plus1 = dt(Calendar::gregorian, 60);
        Point p = plus1.parse_point("2026-01-01T00");  // no zone: the workflow's +01:00
        CHECK(plus1.format(p) == "20260101T0000+0100");
        CHECK(dt().format(p) == "20251231T2300Z");
        CHECK(plus1.format(plus1.parse_point("2026-01-01T00Z")) == "20260101T0100+0100");
        Cycling minus = dt(Calendar::gregorian, -330);
        CHECK(minus.format(minus.parse_point("2026-01-01T00Z")) == "20251231T1830-0530");
        // Month arithmetic happens in the workflow's zone: 31 Jan local.
        CHECK(plus1.format(plus1.add(plus1.parse_point("2026-01-31T00"),
                                     plus1.parse_interval("P1M"))) == "20260228T0000+0100");
    }

    TEST_CASE("integer points and intervals") {
        Cycling c = ints();
        CHECK(c.parse_point("7").value == 7);
        CHECK(c.format(Point{42}) == "42");
        CHECK(c.parse_interval("P3").steps == 3);
        CHECK(c.parse_interval("-P1").steps == -1);
        CHECK(c.parse_interval("+P2").steps == 2);
        CHECK(c.format(c.parse_interval("-P1")) == "-P1");
        CHECK(c.format(c.add(Point{5}, c.parse_interval("-P2"))) == "3");
        CHECK_THROWS_AS(c.parse_interval("PT6H"), ParseError);
        CHECK_THROWS_AS(c.parse_point("2026-01-01"), ParseError);
    }

    TEST_CASE("datetime intervals") {
        Cycling c = dt();
        CHECK(c.parse_interval("PT6H") == Interval{0, 0, 6 * 3600});
        CHECK(c.parse_interval("P1D") == Interval{0, 0, 86400});
        CHECK(c.parse_interval("P1W") == Interval{0, 0, 7 * 86400});
        CHECK(c.parse_interval("P1M") == Interval{0, 1, 0});
        CHECK(c.parse_interval("P1Y") == Interval{0, 12, 0});
        CHECK(c.parse_interval("P1Y2M3DT4H5M6S") ==
              Interval{0, 14, 3 * 86400 + 4 * 3600 + 5 * 60 + 6});
        CHECK(c.parse_interval("-PT30M") == Interval{0, 0, -1800});
        CHECK(c.parse_interval("P0Y").is_zero());
        CHECK(c.format(c.parse_interval("P1Y2M3DT4H5M6S")) == "P1Y2M3DT4H5M6S");
        CHECK(c.format(c.parse_interval("-PT30M")) == "-PT30M");
        CHECK(c.format(c.parse_interval("P0D")) == "P0Y");
        CHECK(c.format(-c.parse_interval("PT6H")) == "-PT6H");
    }

    TEST_CASE("adding intervals: month ends clamp, step by step as in Cylc") {
        Cycling c = dt();
        CHECK(add(c, "2026-01-31T00Z", "P1M") == "20260228T0000Z");
        CHECK(add(c, "2024-01-31T00Z", "P1M") == "20240229T0000Z");
        CHECK(add(c, "2026-01-31T00Z", "P2M") == "20260328T0000Z");  // clamped in February
        CHECK(add(c, "2026-03-31T00Z", "-P1M") == "20260228T0000Z");
        CHECK(add(c, "2024-02-29T00Z", "P1Y") == "20250228T0000Z");
        CHECK(add(c, "2024-02-29T00Z", "P4Y") == "20280229T0000Z");
        CHECK(add(c, "2023-03-31T00Z", "P1Y") == "20240331T0000Z");
        CHECK(add(c, "2026-01-01T00Z", "PT6H") == "20260101T0600Z");
        CHECK(add(c, "2026-12-31T18Z", "PT6H") == "20270101T0000Z");
        CHECK(add(c, "2026-01-01T00Z", "-P1D") == "20251231T0000Z");
        // Days before months: 30 Jan + 1 day = 31 Jan, + 1 month = 28 Feb.
        CHECK(add(c, "2026-01-30T00Z", "P1M1D") == "20260228T0000Z");
        CHECK(add(c, "2100-02-28T00Z", "P1D") == "21000301T0000Z");  // 2100 is no leap year
        CHECK(add(c, "2000-02-28T00Z", "P1D") == "20000229T0000Z");
    }

    TEST_CASE("calendars") {
        Cycling d360 = dt(Calendar::d360);
        CHECK(add(d360, "2026-01-30T00Z", "P1D") == "20260201T0000Z");
        CHECK(add(d360, "2026-02-30T00Z", "P1M") == "20260330T0000Z");
        CHECK(add(d360, "2026-12-30T00Z", "P1D") == "20270101T0000Z");
        CHECK(d360.parse_point("2027-01-01T00Z").value - d360.parse_point("2026-01-01T00Z").value ==
              360 * 86400);
        CHECK_THROWS_AS(d360.parse_point("2026-01-31"), ParseError);

        Cycling d365 = dt(Calendar::d365);
        CHECK(add(d365, "2024-02-28T00Z", "P1D") == "20240301T0000Z");
        CHECK_THROWS_AS(d365.parse_point("2024-02-29"), ParseError);
        CHECK(add(d365, "2026-01-31T00Z", "P1M") == "20260228T0000Z");

        Cycling d366 = dt(Calendar::d366);
        CHECK(add(d366, "2026-02-28T00Z", "P1D") == "20260229T0000Z");
        CHECK(add(d366, "2026-01-31T00Z", "P1M") == "20260229T0000Z");
        CHECK(d366.parse_point("2027-01-01T00Z").value - d366.parse_point("2026-01-01T00Z").value ==
              366 * 86400);

        Cycling greg = dt();
        CHECK(greg.parse_point("2001-01-01T00Z").value - greg.parse_point("2000-01-01T00Z").value ==
              366 * 86400);
        CHECK(greg.parse_point("1901-01-01T00Z").value - greg.parse_point("1900-01-01T00Z").value ==
              365 * 86400);
        // 1970-01-01 is 719162 days after 0001-01-01 in the proleptic Gregorian calendar.
        CHECK(greg.parse_point("1970-01-01T00Z").value == 719162LL * 86400);
    }

    TEST_CASE("point expressions") {
        Cycling c = dt();
        Point base = c.parse_point("2026-03-15T10:00Z");
        Point now = c.parse_point("2026-05-20T10:00Z");
        auto expr = [&](const char* t) { return c.format(c.parse_point_expr(t, base, now)); };
        CHECK(expr("2026-01-01T00Z") == "20260101T0000Z");
        CHECK(expr("now") == "20260520T1000Z");
        CHECK(expr("next(T00)") == "20260521T0000Z");
        CHECK(expr("next(T10)") == "20260520T1000Z");  // at or after now
        CHECK(expr("previous(T06)") == "20260520T0600Z");
        CHECK(expr("previous(T10)") == "20260519T1000Z");  // strictly before now
        CHECK(expr("next(T00;T12)") == "20260520T1200Z");  // the nearest
        CHECK(expr("next(T00; T12)") == "20260520T1200Z");
        CHECK(expr("previous(T00;T12)") == "20260520T0000Z");
        CHECK(expr("next(T00)+P1D") == "20260522T0000Z");
        CHECK(expr("+P2D") == "20260317T1000Z");
        CHECK(expr("-PT1H") == "20260315T0900Z");
        CHECK(expr("P1D") == "20260316T1000Z");
        CHECK(expr("T00") == "20260316T0000Z");
        CHECK(expr("T06:30") == "20260316T0630Z");
        CHECK(expr("T10") == "20260315T1000Z");  // at or after base
        CHECK(expr("01T00") == "20260401T0000Z");
        CHECK(expr("W-1T00") == "20260316T0000Z");  // 2026-03-16 is a Monday
        CHECK(expr("--01-01") == "20270101T0000Z");
        CHECK(expr("-01-01") == "21010101T0000Z");  // year of century 01, January
        CHECK(expr("2026-01-01T00Z+PT6H") == "20260101T0600Z");
        CHECK(expr("2026+P1M-P1D") == "20260131T0000Z");
        CHECK(expr("T00-PT6H") == "20260315T1800Z");
        // Without a base, relative and truncated forms count from now.
        CHECK(c.format(c.parse_point_expr("-P1D", std::nullopt, now)) == "20260519T1000Z");
        CHECK(c.format(c.parse_point_expr("T00", std::nullopt, now)) == "20260521T0000Z");

        Cycling i = ints();
        CHECK(i.parse_point_expr("+P2", Point{1}, Point{0}).value == 3);
        CHECK(i.parse_point_expr("5", Point{1}, Point{0}).value == 5);
        CHECK(i.parse_point_expr("5-P1", Point{1}, Point{0}).value == 4);
        CHECK_THROWS_AS(i.parse_point_expr("+P2", std::nullopt, Point{0}), ParseError);
    }

    TEST_CASE("datetime recurrences") {
        Cycling c = dt();
        const std::string i0 = "2026-01-01T00Z";
        CHECK(seq(c, "T00", i0, {}, 3) == "20260101T0000Z 20260102T0000Z 20260103T0000Z");
        CHECK(seq(c, "T00", "2026-01-01T03Z", {}, 2) == "20260102T0000Z 20260103T0000Z");
        CHECK(seq(c, "T06,T18", i0, {}, 4) ==
              "20260101T0600Z 20260101T1800Z 20260102T0600Z 20260102T1800Z");
        CHECK(seq(c, "T00, T12", i0, {}, 3) == "20260101T0000Z 20260101T1200Z 20260102T0000Z");
        CHECK(seq(c, "PT6H", i0, {}, 3) == "20260101T0000Z 20260101T0600Z 20260101T1200Z");
        CHECK(seq(c, "R/^/PT6H", i0, {}, 2) == "20260101T0000Z 20260101T0600Z");
        CHECK(seq(c, "R1", i0) == "20260101T0000Z");
        CHECK(seq(c, "R1/^", i0) == "20260101T0000Z");
        CHECK(seq(c, "R1/^+PT12H", i0) == "20260101T1200Z");
        CHECK(seq(c, "R1/$", i0, "2026-01-05T00Z") == "20260105T0000Z");
        CHECK(seq(c, "R1/$-P1D", i0, "2026-01-05T00Z") == "20260104T0000Z");
        CHECK(seq(c, "+PT6H/PT12H", i0, {}, 3) == "20260101T0600Z 20260101T1800Z 20260102T0600Z");
        CHECK(seq(c, "R/+PT6H/PT12H", i0, {}, 2) == "20260101T0600Z 20260101T1800Z");
        CHECK(seq(c, "R/2026-01-01T00Z/P1D", "2025-12-30T00Z", {}, 2) ==
              "20260101T0000Z 20260102T0000Z");
        CHECK(seq(c, "R3/2026-01-02T00Z/P1D", i0, {}, 9) ==
              "20260102T0000Z 20260103T0000Z 20260104T0000Z");
        CHECK(seq(c, "R3/T00/P1D", "2026-01-01T06Z", {}, 9) ==
              "20260102T0000Z 20260103T0000Z 20260104T0000Z");
        CHECK(seq(c, "01T00", i0, {}, 3) == "20260101T0000Z 20260201T0000Z 20260301T0000Z");
        CHECK(seq(c, "W-1T00", i0, {}, 3) == "20260105T0000Z 20260112T0000Z 20260119T0000Z");
        CHECK(seq(c, "--01-01T00", i0, {}, 2) == "20260101T0000Z 20270101T0000Z");
        CHECK(seq(c, "0101T00", i0, {}, 2) == "20260101T0000Z 20270101T0000Z");
        CHECK(seq(c, "P1M", "2026-01-31T00Z", {}, 4) ==
              "20260131T0000Z 20260228T0000Z 20260328T0000Z 20260428T0000Z");
        CHECK(seq(c, "P1Y", "2024-02-29T00Z", {}, 2) == "20240229T0000Z 20250228T0000Z");
        // Format 1: the second point ends the first interval.
        CHECK(seq(c, "R3/2026-01-01T00Z/2026-01-01T06Z", i0, {}, 9) ==
              "20260101T0000Z 20260101T0600Z 20260101T1200Z");
        // Counting back from the final point.
        CHECK(seq(c, "R2/P1D/$", i0, "2026-01-10T00Z", 9) == "20260109T0000Z 20260110T0000Z");
        CHECK(seq(c, "P2D/$", i0, "2026-01-06T00Z", 9) ==
              "20260102T0000Z 20260104T0000Z 20260106T0000Z");
        CHECK(seq(c, "R2/P1D", i0, "2026-01-10T00Z", 9) == "20260109T0000Z 20260110T0000Z");
        // Bounded by the initial and final points.
        CHECK(seq(c, "PT12H", i0, "2026-01-02T00Z", 9) ==
              "20260101T0000Z 20260101T1200Z 20260102T0000Z");
        CHECK(seq(c, "R1/-PT6H", i0) == "");
        CHECK(seq(c, "R/2025-12-31T18Z/PT12H", i0, {}, 2) == "20260101T0600Z 20260101T1800Z");
    }

    TEST_CASE("exclusions") {
        Cycling c = dt();
        const std::string i0 = "2026-01-01T00Z";
        CHECK(seq(c, "PT6H!T00", i0, {}, 5) ==
              "20260101T0600Z 20260101T1200Z 20260101T1800Z 20260102T0600Z 20260102T1200Z");
        CHECK(seq(c, "PT6H!(T00,T12)", i0, {}, 4) ==
              "20260101T0600Z 20260101T1800Z 20260102T0600Z 20260102T1800Z");
        CHECK(seq(c, "PT6H ! (T00, T12)", i0, {}, 2) == "20260101T0600Z 20260101T1800Z");
        CHECK(seq(c, "T00!^", i0, {}, 2) == "20260102T0000Z 20260103T0000Z");
        CHECK(seq(c, "T00!2026-01-02T00Z", i0, {}, 2) == "20260101T0000Z 20260103T0000Z");
        CHECK(seq(c, "PT6H!PT12H", i0, {}, 3) == "20260101T0600Z 20260101T1800Z 20260102T0600Z");
        // Each item of a list keeps its own exclusions.
        CHECK(seq(c, "PT12H!T00, T00", i0, {}, 3) ==
              "20260101T0000Z 20260101T1200Z 20260102T0000Z");
        // Everything excluded: no points, and no hang.
        CHECK(seq(c, "PT6H!PT6H", i0, {}, 3) == "");

        Cycling ic = ints();
        CHECK(seq(ic, "P1!3", "1", {}, 4) == "1 2 4 5");
        CHECK(seq(ic, "P1!(2,4)", "1", {}, 4) == "1 3 5 6");
        CHECK(seq(ic, "P1!P2", "1", {}, 3) == "2 4 6");

        // contains() applies the exclusions too: the pool asks it, not points().
        const Sequence q = ic.parse_sequence("P1!(2,4)", Point{1}, std::nullopt);
        CHECK(q.contains(Point{3}));
        CHECK_FALSE(q.contains(Point{2}));
        CHECK_FALSE(q.contains(Point{4}));
        const Sequence r = ic.parse_sequence("P1!P2", Point{1}, std::nullopt);
        CHECK(r.contains(Point{2}));
        CHECK_FALSE(r.contains(Point{3}));
        const Sequence d = c.parse_sequence("PT6H!T00", c.parse_point(i0), std::nullopt);
        CHECK(d.contains(c.parse_point("2026-01-01T06Z")));
        CHECK_FALSE(d.contains(c.parse_point("2026-01-02T00Z")));
        CHECK_FALSE(d.contains(c.parse_point("2026-01-01T07Z")));
    }

    TEST_CASE("integer recurrences") {
        Cycling c = ints();
        CHECK(seq(c, "P1", "1", {}, 3) == "1 2 3");
        CHECK(seq(c, "P2", "1", std::string("6")) == "1 3 5");
        CHECK(seq(c, "R1", "1") == "1");
        CHECK(seq(c, "+P2/P3", "1", {}, 3) == "3 6 9");
        CHECK(seq(c, "R3/2/P2", "1", {}, 9) == "2 4 6");
        CHECK(seq(c, "R/+P1/P2", "1", {}, 3) == "2 4 6");
        CHECK(seq(c, "R2/P2/$", "1", std::string("10"), 9) == "8 10");
        CHECK(seq(c, "R1/$", "1", std::string("10")) == "10");
        CHECK(seq(c, "R1/^+P3", "1") == "4");
        CHECK(seq(c, "R1/$-P1", "1", std::string("10")) == "9");
        CHECK(seq(c, "R3/1/5", "1", {}, 9) == "1 3 5");
        CHECK(seq(c, "P3/$", "1", std::string("10"), 9) == "1 4 7 10");
        CHECK(seq(c, "R5/P2", "1", std::string("10"), 9) == "2 4 6 8 10");
        CHECK(seq(c, "R1/0", "1") == "");  // before the initial point
    }

    TEST_CASE("sequence queries") {
        Cycling c = dt();
        Point ip = c.parse_point("2026-01-01T00Z");
        Point fp = c.parse_point("2026-12-31T00Z");
        Sequence s = c.parse_sequence("T06,T18", ip, fp);
        CHECK(s.text() == "T06,T18");
        auto P = [&](const char* t) { return c.parse_point(t); };
        CHECK(c.format(*s.first_at_or_after(P("2026-05-05T07Z"))) == "20260505T1800Z");
        CHECK(c.format(*s.first_at_or_after(P("2026-05-05T06Z"))) == "20260505T0600Z");
        CHECK(c.format(*s.next_after(P("2026-05-05T06Z"))) == "20260505T1800Z");
        CHECK(c.format(*s.prev_before(P("2026-05-05T06Z"))) == "20260504T1800Z");
        CHECK(s.contains(P("2026-05-05T18Z")));
        CHECK_FALSE(s.contains(P("2026-05-05T12Z")));
        CHECK_FALSE(s.prev_before(ip));
        CHECK_FALSE(s.first_at_or_after(P("2026-12-31T06Z")));
        CHECK(s.points(P("2026-03-01T00Z"), P("2026-03-02T00Z")).size() == 2);
        CHECK(s.points(ip, fp, 3).size() == 3);

        Sequence m = c.parse_sequence("P1M", P("2026-01-31T00Z"), std::nullopt);
        CHECK(c.format(*m.first_at_or_after(P("2030-06-01T00Z"))) == "20300628T0000Z");
        CHECK(c.format(*m.prev_before(P("2030-06-01T00Z"))) == "20300528T0000Z");
        CHECK(m.contains(P("2026-03-28T00Z")));
        CHECK_FALSE(m.contains(P("2026-03-31T00Z")));

        // Far from the start, exact periods answer by arithmetic.
        Sequence h = c.parse_sequence("PT1M", P("0001-01-01T00Z"), std::nullopt);
        CHECK(c.format(*h.next_after(P("9000-06-01T00:00:30Z"))) == "90000601T0001Z");
    }

    TEST_CASE("errors say what is wrong and where") {
        Cycling c = dt();
        ParseError e = error_of([&] { c.parse_interval("PT6X"); });
        CHECK(std::string(e.what()).find("'PT6X' is not an ISO 8601 duration") !=
              std::string::npos);
        CHECK(std::string(e.what()).find("PT6H") != std::string::npos);
        CHECK(e.offset == 3);

        e = error_of([&] { c.parse_interval("PT1.5H"); });
        CHECK(std::string(e.what()).find("PT90M") != std::string::npos);

        e = error_of([&] { c.parse_sequence("T00, PT6X", Point{0}, std::nullopt); });
        CHECK(e.offset == 8);

        e = error_of([&] { c.parse_sequence("T00!(T06,T1x)", Point{0}, std::nullopt); });
        CHECK(e.offset == 10);  // the bad time "1x" inside the exclusion list

        e = error_of([&] { c.parse_sequence("-PT6H", Point{0}, std::nullopt); });
        CHECK(std::string(e.what()).find("R1/-PT6H") != std::string::npos);

        e = error_of([&] { c.parse_sequence("R1/$", Point{0}, std::nullopt); });
        CHECK(std::string(e.what()).find("final cycle point") != std::string::npos);

        e = error_of([&] { c.parse_point("2026-13-01"); });
        CHECK(std::string(e.what()).find("month") != std::string::npos);

        e = error_of([&] { c.parse_point("20"); });
        CHECK(std::string(e.what()).find("T20") != std::string::npos);

        e = error_of([&] { c.parse_point("2026-01-01T00:00+0100"); });
        CHECK(e.offset == 16);

        CHECK_THROWS_AS(c.parse_point("T00"), ParseError);  // truncated: not a point
        CHECK_THROWS_AS(c.parse_interval("P"), ParseError);
        CHECK_THROWS_AS(c.parse_interval("PT"), ParseError);
        CHECK_THROWS_AS(c.parse_interval("P1M1W"), ParseError);
        CHECK_THROWS_AS(c.parse_sequence("R0/^/PT6H", Point{0}, std::nullopt), ParseError);
        CHECK_THROWS_AS(c.parse_sequence("R/^/-PT6H", Point{0}, std::nullopt), ParseError);
        CHECK_THROWS_AS(c.parse_sequence("PT6H!T00!T12", Point{0}, std::nullopt), ParseError);
        CHECK_THROWS_AS(c.parse_sequence("PT6H!T00,T12)", Point{0}, std::nullopt), ParseError);
        CHECK_THROWS_AS(c.parse_sequence("", Point{0}, std::nullopt), ParseError);
        CHECK_THROWS_AS(c.parse_sequence("T00,", Point{0}, std::nullopt), ParseError);
        CHECK_THROWS_AS(c.parse_point_expr("next(T00", Point{0}, Point{0}), ParseError);
        CHECK_THROWS_AS(c.parse_point_expr("next(2026)", Point{0}, Point{0}), ParseError);
        CHECK_THROWS_AS(ints().parse_sequence("R3/1/6", Point{1}, std::nullopt), ParseError);
    }

    TEST_CASE("garbage never crashes or hangs") {
        const std::vector<std::string> seeds = {"T00",
                                                "PT6H",
                                                "R1/^+PT12H",
                                                "R2/P2/$",
                                                "PT6H!(T00,T12)",
                                                "2026-01-01T00Z+PT6H",
                                                "next(T00;T12)",
                                                "W-1T00",
                                                "--01-01T00",
                                                "R3/2026-01-01T00Z/P1M",
                                                "P1Y2M3DT4H5M6S",
                                                "+P2/P3",
                                                "R/+P1/P2",
                                                "P1!(2,4)",
                                                "20260101T0000+0100",
                                                "-P999999999Y",
                                                "R999999999/^/P999999999Y",
                                                "R/0001-01-01T00Z/P1M",
                                                "P999999999W/$"};
        const std::string alphabet = "0123456789TZPRWYMDHS+-/:!(),;^$ .xnext()previous";
        std::mt19937 rng(12345);
        Cycling cycs[] = {dt(), dt(Calendar::d360, 90), ints()};
        int thrown = 0;
        for (int i = 0; i < 3000; ++i) {
            std::string s = seeds[rng() % seeds.size()];
            int edits = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < edits; ++k) {
                std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
                char ch = alphabet[rng() % alphabet.size()];
                switch (rng() % 3) {
                    case 0:
                        s.insert(pos, 1, ch);
                        break;
                    case 1:
                        if (pos < s.size()) s.erase(pos, 1);
                        break;
                    default:
                        if (pos < s.size()) s[pos] = ch;
                        break;
                }
            }
            if (rng() % 10 == 0) s.push_back(static_cast<char>(rng() % 256));
            for (const Cycling& c : cycs) {
                Point ip =
                    c.settings().mode == CyclingMode::integer ? Point{1} : c.parse_point("2026");
                try {
                    Sequence q = c.parse_sequence(
                        s, ip,
                        c.add(ip, c.parse_interval(
                                      c.settings().mode == CyclingMode::integer ? "P100" : "P1Y")));
                    // What a sequence yields must agree with itself: points
                    // strictly increase within [initial, final], each is on
                    // the sequence, and next/prev/first step between them.
                    const Point fin =
                        c.add(ip, c.parse_interval(
                                      c.settings().mode == CyclingMode::integer ? "P100" : "P1Y"));
                    const std::vector<Point> pts = q.points(ip, Point{std::int64_t{1} << 50}, 50);
                    for (std::size_t k = 0; k < pts.size(); ++k) {
                        CHECK_MESSAGE(q.contains(pts[k]), s);
                        CHECK_MESSAGE(q.first_at_or_after(pts[k]) == pts[k], s);
                        CHECK_MESSAGE(pts[k] >= ip, s);
                        CHECK_MESSAGE(pts[k] <= fin, s);
                        if (k + 1 < pts.size()) {
                            CHECK_MESSAGE(pts[k] < pts[k + 1], s);
                            CHECK_MESSAGE(q.next_after(pts[k]) == pts[k + 1], s);
                            CHECK_MESSAGE(q.prev_before(pts[k + 1]) == pts[k], s);
                        }
                    }
                    if (!pts.empty() && pts.size() < 50) {
                        CHECK_MESSAGE(q.next_after(pts.back()) == std::nullopt, s);
                        CHECK_MESSAGE(q.prev_before(Point{std::int64_t{1} << 40}) == pts.back(), s);
                    }
                } catch (const ParseError& e) {
                    ++thrown;
                    CHECK(e.offset <= s.size());
                }
                try {
                    (void)c.parse_point_expr(s, ip, ip);
                } catch (const ParseError& e) {
                    CHECK(e.offset <= s.size());
                }
                // What parses, written back, reads back the same.
                try {
                    const Interval iv = c.parse_interval(s);
                    CHECK_MESSAGE(c.parse_interval(c.format(iv)) == iv, s);
                } catch (const ParseError&) {
                }
                try {
                    const Point pt = c.parse_point(s);
                    CHECK_MESSAGE(c.parse_point(c.format(pt)) == pt, s);
                } catch (const ParseError&) {
                }
            }
        }
        CHECK(thrown > 0);
    }

    TEST_CASE("week and ordinal dates") {
        Cycling c = dt();
        auto f = [&](const char* s) { return c.format(c.parse_point(s)); };
        CHECK(f("2005-W01-5T12Z") == "20050107T1200Z");
        CHECK(f("2005W015T12Z") == "20050107T1200Z");
        CHECK(f("2009-W01-1T00Z") == "20081229T0000Z");  // week 1 starts in the year before
        CHECK(f("2004-W53-7T00Z") == "20050102T0000Z");
        CHECK(f("2005-023T12Z") == "20050123T1200Z");
        CHECK(f("2005023T12Z") == "20050123T1200Z");
        CHECK(f("2004-366") == "20041231T0000Z");
        CHECK(f("2005-W01-5T12:30Z") == "20050107T1230Z");
        CHECK(seq(c, "R/2005-W01-1T00Z/P1W", "2005-01-01T00Z", {}, 2) ==
              "20050103T0000Z 20050110T0000Z");
        CHECK(c.format(c.parse_point_expr("2005-023T00Z+PT6H", std::nullopt, Point{0})) ==
              "20050123T0600Z");
        // The forms are named; neighbouring text is not blamed.
        auto msg = [&](const char* s) {
            return std::string(error_of([&] { c.parse_point(s); }).what());
        };
        CHECK(msg("2005-W54-1T00Z").find("2005 has no week 54") != std::string::npos);
        CHECK(msg("2005-W53-1T00Z").find("2005 has no week 53") != std::string::npos);
        CHECK(msg("2005-W01-8T00Z").find("week day out of range") != std::string::npos);
        CHECK(msg("2005-366T00Z").find("day of year out of range 001-365") != std::string::npos);
        CHECK(msg("2005-000T00Z").find("day of year") != std::string::npos);
        Cycling d360 = dt(Calendar::d360);
        CHECK(d360.format(d360.parse_point("2005-360T00Z")) == "20051230T0000Z");
    }

    TEST_CASE("min() in recurrences and point expressions") {
        Cycling c = dt();
        CHECK(seq(c, "R1/min(T00,+PT1H,T06)", "2010-01-01T03Z") == "20100101T0400Z");
        CHECK(seq(c, "R1/min(T00,T06)", "2010-01-01T03Z") == "20100101T0600Z");
        CHECK(seq(c, "R1/min(T00,+PT1H,T06,T12,T18)", "2010-01-01T00Z") == "20100101T0000Z");
        // The earliest item's truncation gives the interval, as in Cylc.
        CHECK(seq(c, "min(T18,T06)", "2010-01-01T03Z", {}, 2) == "20100101T0600Z 20100102T0600Z");
        Point now = c.parse_point("2010-01-01T03Z");
        CHECK(c.format(c.parse_point_expr("min(T00,+PT1H)", std::nullopt, now)) ==
              "20100101T0400Z");
        CHECK(c.format(c.parse_point_expr("min(T00,T12)+PT1H", std::nullopt, now)) ==
              "20100101T1300Z");
        ParseError e = error_of([&] { c.parse_sequence("R1/max(T00,T06)", now, std::nullopt); });
        CHECK(std::string(e.what()).find("'max(...)'") != std::string::npos);
        CHECK(e.offset == 3);
        e = error_of([&] { c.parse_sequence("R1/min(T00,,T06)", now, std::nullopt); });
        CHECK(std::string(e.what()).find("empty item in min") != std::string::npos);
        e = error_of([&] { c.parse_sequence("R1/min(T00,T06", now, std::nullopt); });
        CHECK(std::string(e.what()).find("')'") != std::string::npos);
        e = error_of([&] { c.parse_sequence("R1/min(T00,T99)", now, std::nullopt); });
        CHECK(std::string(e.what()).find("'T99'") != std::string::npos);
        CHECK(e.offset == 12);  // at the hour of T99
        Cycling i = ints();
        e = error_of([&] { i.parse_sequence("R1/min(1,2)", Point{1}, std::nullopt); });
        CHECK(std::string(e.what()).find("min(...) is for date-time cycling") != std::string::npos);
    }

    TEST_CASE("integer R/point is one point") {
        Cycling c = ints();
        CHECK(seq(c, "R/1", "1", std::string("5"), 9) == "1");
        CHECK(seq(c, "R/3", "1", std::string("5"), 9) == "3");
        CHECK(seq(c, "R/+P2", "1", std::string("5"), 9) == "3");
        CHECK(seq(c, "R/P1", "1", std::string("5"), 9) == "1 2 3 4 5");
        CHECK(seq(c, "R/2/P1", "1", std::string("5"), 9) == "2 3 4 5");
        CHECK(seq(c, "R/1!1", "1", std::string("5"), 9) == "");
    }

    TEST_CASE("graph offsets: relative, compound and absolute") {
        Cycling c = dt();
        const Point ip = c.parse_point("2010-01-01T00Z");
        const Point fp = c.parse_point("2010-01-03T00Z");
        const Point p = c.parse_point("2010-01-02T00Z");
        auto up = [&](const char* off, Point at) {
            return c.format(c.offset_point(off, at, ip, fp));
        };
        CHECK(up("-PT6H", p) == "20100101T1800Z");
        CHECK(up("-P1D+PT18H", p) == "20100101T1800Z");
        CHECK(up("+P1M-P1D", c.parse_point("2010-01-31T00Z")) == "20100227T0000Z");  // in order
        CHECK(up("^", p) == "20100101T0000Z");
        CHECK(up("^+P1D-PT6H", p) == "20100101T1800Z");
        CHECK(up("$-PT6H", p) == "20100102T1800Z");
        CHECK(up("20100101T0600Z", p) == "20100101T0600Z");
        CHECK(up("20100101T0600Z", ip) == "20100101T0600Z");
        CHECK(up("2010-01-01T00Z+PT6H", p) == "20100101T0600Z");
        CHECK(up("20T-P2W", p) == "20100106T0000Z");  // 20T read from the initial point
        CHECK(up("2010-W01-1T00Z", p) == "20100104T0000Z");
        CHECK(Cycling::offset_is_absolute("20100101T0600Z"));
        CHECK(Cycling::offset_is_absolute("20T-P2W"));
        CHECK(Cycling::offset_is_absolute("^+P1D"));
        CHECK(Cycling::offset_is_absolute("$"));
        CHECK_FALSE(Cycling::offset_is_absolute("-P1D+PT18H"));
        CHECK_FALSE(Cycling::offset_is_absolute("P1D"));
        CHECK_FALSE(Cycling::offset_is_absolute("+P1"));
        // The way back, for spawning downstream tasks.
        CHECK(c.format(*c.offset_downstream("-P1D+PT18H", c.parse_point("2010-01-01T18Z"))) ==
              "20100102T0000Z");
        CHECK_FALSE(c.offset_downstream("20100101T0600Z", p).has_value());
        CHECK(c.format(*c.offset_downstream("+P1M-P1D", c.parse_point("2010-02-28T00Z"))) ==
              "20100201T0000Z");
        // No day plus a month ends on 31 March: nothing names 30 March.
        CHECK_FALSE(c.offset_downstream("+P1M-P1D", c.parse_point("2010-03-30T00Z")).has_value());
        CHECK(c.offset_interval("-PT6H") == Interval{0, 0, -6 * 3600});
        CHECK_FALSE(c.offset_interval("-P1D+PT18H").has_value());
        ParseError e = error_of([&] { (void)c.offset_point("T06", p, ip, fp); });
        CHECK(std::string(e.what()).find("truncated point relative to the task's own") !=
              std::string::npos);
        e = error_of([&] { (void)c.offset_point("^2", p, ip, fp); });
        CHECK(std::string(e.what()).find("unexpected '2'") != std::string::npos);

        Cycling i = ints();
        auto iup = [&](const char* off, std::int64_t at) {
            return i.offset_point(off, Point{at}, Point{1}, Point{9}).value;
        };
        CHECK(iup("2", 5) == 2);
        CHECK(iup("2", 1) == 2);
        CHECK(iup("-P1", 5) == 4);
        CHECK(iup("-P2+P1", 5) == 4);
        CHECK(iup("^+P2", 5) == 3);
        CHECK(iup("2+P3", 1) == 5);
        CHECK(i.offset_downstream("-P2+P1", Point{4})->value == 5);
        e = error_of([&] { (void)i.offset_point("x2", Point{1}, Point{1}, Point{9}); });
        CHECK(std::string(e.what()).find("'x2' is not an integer cycle point") !=
              std::string::npos);
    }
}
