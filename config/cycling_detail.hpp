// Internals shared by the files of config/cycling (Cycling's own members are in
// cycling.cpp): cycling_calendar.cpp (calendars and their arithmetic);
// cycling_iso8601.cpp (ISO 8601 text: date-times, durations, offsets);
// cycling_sequence.cpp (recurrences: rules, Sequence and the recurrence
// parser). Not part of tock's interface: config/cycling.hpp is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/cycling.hpp"

namespace tock::config::cycling_detail {

inline constexpr std::int64_t kDay = 86400;
// Points are clamped to this magnitude so that no arithmetic overflows.
inline constexpr std::int64_t kPointLimit = std::int64_t{1} << 52;
inline constexpr std::int64_t kYearLimit = 1'000'000;

std::int64_t floordiv(std::int64_t a, std::int64_t b);
std::int64_t floormod(std::int64_t a, std::int64_t b);
std::int64_t clamp_point(__int128 v);

// ---------------------------------------------------------------------------
// Calendars (cycling_calendar.cpp). Day 0 is 0001-01-01 in every calendar.

int days_in_month(Calendar c, std::int64_t y, int m);
std::int64_t days_before_year(Calendar c, std::int64_t y);
std::int64_t days_from_civil(Calendar c, std::int64_t y, int m, int d);

struct Civil {
    std::int64_t year = 1;
    int month = 1;
    int day = 1;
    std::int64_t sod = 0;  // second of day
};

Civil civil_from_days(Calendar c, std::int64_t days);

// Local wall-clock fields of a point in a fixed UTC offset.
Civil to_civil(Calendar c, std::int64_t value, int offset_min);

std::int64_t from_civil(Calendar c, const Civil& f, int offset_min);

// ISO weekday (1 = Monday). 0001-01-01 is a Monday in the proleptic Gregorian
// calendar; the other calendars count weeks from the same day.
int weekday(std::int64_t days);

// p + n * i in the workflow's calendar and zone, the isodatetime way (where
// multiplying a duration scales its years and months separately): exact
// seconds first, then the months one at a time (clamping the day each time),
// then whole years (clamping Feb 29). An Interval's months below 12 are taken
// as its M designator, the rest as its Y.
std::int64_t add_scaled(const CyclingSettings& st, std::int64_t p, const Interval& i,
                        std::int64_t n);

std::int64_t add_value(const CyclingSettings& st, std::int64_t p, const Interval& i);

// ---------------------------------------------------------------------------
// Small text helpers (cycling_iso8601.cpp).

[[noreturn]] void fail(std::size_t off, const std::string& msg);
bool is_digit(char c);
bool all_digits(std::string_view s);
int num(std::string_view s);  // s holds only digits and is short
bool is_space(char c);

// A piece of the caller's string together with its byte offset there.
struct Piece {
    std::string_view s;
    std::size_t off = 0;
    Piece sub(std::size_t pos, std::size_t n = std::string_view::npos) const {
        return {s.substr(pos, n), off + pos};
    }
    Piece trimmed() const {
        std::size_t b = 0, e = s.size();
        while (b < e && is_space(s[b])) ++b;
        while (e > b && is_space(s[e - 1])) --e;
        return {s.substr(b, e - b), off + b};
    }
};

std::string show(std::string_view s);

// Splits on `sep` outside parentheses; checks the parentheses balance.
std::vector<Piece> split_top(Piece p, char sep);

// ---------------------------------------------------------------------------
// ISO 8601 date-times (cycling_iso8601.cpp): complete points and truncated
// ones ("T00", "01T00").

struct DateTime {
    bool truncated = false;
    // complete
    std::int64_t year = 1;
    int month = 1, day = 1;
    // truncated date fields (-1 = absent)
    int year_of_century = -1, month_of_year = -1, day_of_month = -1, day_of_week = -1;
    // time fields (-1 = absent; a complete point has all three)
    int hour = -1, minute = -1, second = -1;
    std::optional<int> zone;  // minutes east of UTC
};

// `shift`: characters prepended to the user's text (Cylc's "01T00" ->
// "---01T00"), removed again when reporting offsets.
DateTime parse_datetime(Piece in, Calendar cal, bool allow_truncated, std::size_t shift = 0);

DateTime parse_datetime_cylc(Piece in, Calendar cal, bool allow_truncated);

// The first point matching truncated `t` at or after `from` (forward), or
// the last strictly before `from` (backward). Searches up to ~110 years.
std::optional<std::int64_t> match_truncated(const DateTime& t, const CyclingSettings& st,
                                            std::int64_t from, bool forward);

// The interval a truncated start implies (Cylc: "T00" recurs daily).
std::optional<Interval> truncation_interval(const DateTime& t);

std::int64_t complete_value(const DateTime& dt, const CyclingSettings& st);

// ---------------------------------------------------------------------------
// Intervals, offset chains, min(...) and integer points (cycling_iso8601.cpp).

Interval parse_interval_impl(Piece in, CyclingMode mode);

// Offsets chained after a point: "2026+P1M-P1D" -> head "2026", offsets.
struct Chain {
    Piece head;
    std::vector<std::pair<Interval, Piece>> offsets;
};

Chain split_chain(Piece p, CyclingMode mode);

// Cylc's min(a,b,...): the earliest of several point expressions, each read
// in the same context, then any offsets written after ')'. nullopt when `p`
// is no function call; another function name is refused by name.
struct MinExpr {
    std::vector<Piece> items;
    Chain tail;
};

std::optional<MinExpr> split_min(Piece p, CyclingMode mode);

std::int64_t parse_int_point(Piece p);

}  // namespace tock::config::cycling_detail
