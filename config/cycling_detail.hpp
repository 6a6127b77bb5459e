// Internals shared by the files of config/cycling (Cycling's own members are in
// cycling.cpp): cycling_calendar.cpp (calendars and their arithmetic). Not part
// of tock's interface: config/cycling.hpp is.
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

}  // namespace tock::config::cycling_detail
