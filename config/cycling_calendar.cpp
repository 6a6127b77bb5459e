// Calendars (gregorian, 360day, 365day, 366day) and the arithmetic of points in
// them: days and civil dates, and adding intervals the isodatetime way.
#include <algorithm>
#include <array>

#include "config/cycling_detail.hpp"

namespace tock::config::cycling_detail {

std::int64_t floordiv(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

std::int64_t floormod(std::int64_t a, std::int64_t b) {
    return a - floordiv(a, b) * b;
}

std::int64_t clamp_point(__int128 v) {
    if (v > kPointLimit) return kPointLimit;
    if (v < -kPointLimit) return -kPointLimit;
    return static_cast<std::int64_t>(v);
}

namespace {

bool is_leap(Calendar c, std::int64_t y) {
    switch (c) {
        case Calendar::gregorian:
            return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        case Calendar::d366:
            return true;
        case Calendar::d360:
        case Calendar::d365:
            return false;
    }
    return false;
}

}  // namespace

int days_in_month(Calendar c, std::int64_t y, int m) {
    if (c == Calendar::d360) return 30;
    static constexpr std::array<int, 12> dm{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(c, y)) return 29;
    return dm[static_cast<std::size_t>(m - 1)];
}

std::int64_t days_before_year(Calendar c, std::int64_t y) {
    std::int64_t n = y - 1;
    switch (c) {
        case Calendar::d360:
            return n * 360;
        case Calendar::d365:
            return n * 365;
        case Calendar::d366:
            return n * 366;
        case Calendar::gregorian:
            return n * 365 + floordiv(n, 4) - floordiv(n, 100) + floordiv(n, 400);
    }
    return 0;
}

std::int64_t days_from_civil(Calendar c, std::int64_t y, int m, int d) {
    std::int64_t days = days_before_year(c, y);
    for (int i = 1; i < m; ++i) days += days_in_month(c, y, i);
    return days + d - 1;
}

Civil civil_from_days(Calendar c, std::int64_t days) {
    Civil r;
    std::int64_t doy = 0;
    switch (c) {
        case Calendar::gregorian: {
            std::int64_t n400 = floordiv(days, 146097);
            std::int64_t rem = days - n400 * 146097;
            std::int64_t n100 = std::min<std::int64_t>(rem / 36524, 3);
            rem -= n100 * 36524;
            std::int64_t n4 = rem / 1461;
            rem -= n4 * 1461;
            std::int64_t n1 = std::min<std::int64_t>(rem / 365, 3);
            rem -= n1 * 365;
            r.year = 1 + 400 * n400 + 100 * n100 + 4 * n4 + n1;
            doy = rem;
            break;
        }
        case Calendar::d360:
        case Calendar::d365:
        case Calendar::d366: {
            std::int64_t len = c == Calendar::d360 ? 360 : c == Calendar::d365 ? 365 : 366;
            r.year = 1 + floordiv(days, len);
            doy = floormod(days, len);
            break;
        }
    }
    int m = 1;
    while (m < 12 && doy >= days_in_month(c, r.year, m)) {
        doy -= days_in_month(c, r.year, m);
        ++m;
    }
    r.month = m;
    r.day = static_cast<int>(doy) + 1;
    return r;
}

Civil to_civil(Calendar c, std::int64_t value, int offset_min) {
    std::int64_t local = value + std::int64_t{offset_min} * 60;
    Civil r = civil_from_days(c, floordiv(local, kDay));
    r.sod = floormod(local, kDay);
    return r;
}

std::int64_t from_civil(Calendar c, const Civil& f, int offset_min) {
    if (f.year > kYearLimit) return kPointLimit;
    if (f.year < -kYearLimit) return -kPointLimit;
    __int128 v = static_cast<__int128>(days_from_civil(c, f.year, f.month, f.day)) * kDay + f.sod -
                 std::int64_t{offset_min} * 60;
    return clamp_point(v);
}

int weekday(std::int64_t days) {
    return static_cast<int>(floormod(days, 7)) + 1;
}

namespace {

// Moves `c` by k months one at a time, clamping the day at every step as
// isodatetime does. After 48 steps every calendar has shown its shortest
// month (four Februaries include a common year), so the rest is a jump.
void step_months(Calendar cal, Civil& c, std::int64_t k) {
    int dir = k > 0 ? 1 : -1;
    std::int64_t n = k > 0 ? k : -k;
    std::int64_t first = std::min<std::int64_t>(n, 48);
    for (std::int64_t i = 0; i < first; ++i) {
        c.month += dir;
        if (c.month > 12) c.month = 1, ++c.year;
        if (c.month < 1) c.month = 12, --c.year;
        c.day = std::min(c.day, days_in_month(cal, c.year, c.month));
    }
    n -= first;
    if (n == 0) return;
    int shortest = cal == Calendar::d360 ? 30 : cal == Calendar::d366 ? 29 : 28;
    c.day = std::min(c.day, shortest);
    n = std::min<std::int64_t>(n, 12 * 2 * kYearLimit);
    std::int64_t total = c.year * 12 + (c.month - 1) + dir * n;
    c.year = floordiv(total, 12);
    c.month = static_cast<int>(floormod(total, 12)) + 1;
    if (c.year > -kYearLimit && c.year < kYearLimit) {
        c.day = std::min(c.day, days_in_month(cal, c.year, c.month));
    }
}

std::int64_t mul_sat(std::int64_t a, std::int64_t b) {
    return clamp_point(static_cast<__int128>(a) * b);
}

}  // namespace

std::int64_t add_scaled(const CyclingSettings& st, std::int64_t p, const Interval& i,
                        std::int64_t n) {
    if (st.mode == CyclingMode::integer) {
        return clamp_point(static_cast<__int128>(p) + static_cast<__int128>(i.steps) * n);
    }
    std::int64_t v = clamp_point(static_cast<__int128>(p) + static_cast<__int128>(i.seconds) * n);
    if (i.months == 0 || n == 0) return v;
    Civil c = to_civil(st.calendar, v, st.utc_offset_minutes);
    std::int64_t months = mul_sat(i.months % 12, n);
    std::int64_t years = mul_sat(i.months / 12, n);
    if (months != 0) step_months(st.calendar, c, months);
    if (years > kYearLimit || years < -kYearLimit) return years > 0 ? kPointLimit : -kPointLimit;
    c.year += years;
    if (c.year > kYearLimit || c.year < -kYearLimit) {
        return c.year > 0 ? kPointLimit : -kPointLimit;
    }
    c.day = std::min(c.day, days_in_month(st.calendar, c.year, c.month));
    return from_civil(st.calendar, c, st.utc_offset_minutes);
}

std::int64_t add_value(const CyclingSettings& st, std::int64_t p, const Interval& i) {
    return add_scaled(st, p, i, 1);
}

}  // namespace tock::config::cycling_detail
