// ISO 8601 text as Cylc writes it: small text helpers, date-times (complete and
// truncated, and the points a truncated one matches), durations, offsets
// chained after a point, min(...), and integer points.
#include <fmt/format.h>

#include <algorithm>

#include "config/cycling_detail.hpp"

namespace tock::config::cycling_detail {

[[noreturn]] void fail(std::size_t off, const std::string& msg) {
    throw ParseError(msg, off);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

int num(std::string_view s) {  // s holds only digits and is short
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string show(std::string_view s) {
    // Keep messages printable and short whatever the input holds.
    std::string out;
    for (char c : s.substr(0, 60)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            out += fmt::format("\\x{:02x}", u);
        else
            out += c;
    }
    if (s.size() > 60) out += "...";
    return out;
}

std::vector<Piece> split_top(Piece p, char sep) {
    std::vector<Piece> out;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < p.s.size(); ++i) {
        char c = p.s[i];
        if (c == '(')
            ++depth;
        else if (c == ')') {
            if (--depth < 0) fail(p.off + i, "unmatched ')': remove it or add the '(' it closes");
        } else if (c == sep && depth == 0) {
            out.push_back(p.sub(start, i - start));
            start = i + 1;
        }
    }
    if (depth != 0) {
        fail(p.off + p.s.find('('), "unclosed '(': close the exclusion list with ')'");
    }
    out.push_back(p.sub(start));
    return out;
}

// ---------------------------------------------------------------------------
// ISO 8601 date-times: complete points and truncated ones ("T00", "01T00").

namespace {

const char* const kPointHelp =
    "expected e.g. 2026-01-01T00Z, 20260101T0000Z, 2026-01-01, or a truncated form like T00, "
    "01T00, W-1T00";

// Parses the zone designator `z` ("Z", "+hh", "+hhmm", "+hh:mm").
int parse_zone(Piece z) {
    std::string_view s = z.s;
    if (s == "Z") return 0;
    int sign = s[0] == '-' ? -1 : 1;
    std::string_view r = s.substr(1);
    int h = -1, m = 0;
    if (r.size() == 2 && all_digits(r))
        h = num(r);
    else if (r.size() == 4 && all_digits(r))
        h = num(r.substr(0, 2)), m = num(r.substr(2));
    else if (r.size() == 5 && r[2] == ':' && all_digits(r.substr(0, 2)) && all_digits(r.substr(3)))
        h = num(r.substr(0, 2)), m = num(r.substr(3));
    if (h < 0 || h > 23 || m > 59) {
        fail(z.off,
             fmt::format("'{}' is not a time zone (expected Z, +01, +0100 or +01:00)", show(s)));
    }
    return sign * (h * 60 + m);
}

// ISO 8601 week dates (2005-W01-5, 2005W015) and ordinal dates (2005-023,
// 2005023) as a calendar date. Week 1 is the week (Monday first) holding the
// year's 4 January, as in isodatetime; nullopt when `date` has neither form.
struct WeekOrOrdinal {
    std::int64_t year = 1;
    int month = 1, day = 1;
    bool extended = false;
    std::string error;  // the form matched but a field is out of range
};

std::optional<WeekOrOrdinal> week_or_ordinal(std::string_view date, Calendar cal) {
    if (date.size() < 7 || !all_digits(date.substr(0, 4))) return std::nullopt;
    const std::int64_t year = num(date.substr(0, 4));
    std::string_view r = date.substr(4);
    WeekOrOrdinal out;
    out.year = year;
    out.extended = r[0] == '-';
    if (out.extended) r = r.substr(1);
    std::int64_t days = 0;
    if (r[0] == 'W') {
        int week = 0, wday = 0;
        if (out.extended && r.size() == 5 && r[3] == '-' && all_digits(r.substr(1, 2)) &&
            is_digit(r[4])) {
            week = num(r.substr(1, 2)), wday = r[4] - '0';
        } else if (!out.extended && r.size() == 4 && all_digits(r.substr(1))) {
            week = num(r.substr(1, 2)), wday = r[3] - '0';
        } else {
            return std::nullopt;
        }
        auto week1 = [&](std::int64_t y) {
            const std::int64_t jan4 = days_from_civil(cal, y, 1, 4);
            return jan4 - (weekday(jan4) - 1);
        };
        days = week1(year) + (week - 1) * 7 + (wday - 1);
        if (wday < 1 || wday > 7) {
            out.error = "week day out of range 1 (Monday) to 7 (Sunday)";
        } else if (week < 1 || days >= week1(year + 1)) {
            out.error = fmt::format("{} has no week {:02d}", year, week);
        }
    } else if (all_digits(r) && r.size() == 3) {
        const int ordinal = num(r);
        const std::int64_t len = days_before_year(cal, year + 1) - days_before_year(cal, year);
        if (ordinal < 1 || ordinal > len) {
            out.error = fmt::format("day of year out of range 001-{:03d}", len);
        }
        days = days_before_year(cal, year) + ordinal - 1;
    } else {
        return std::nullopt;
    }
    if (out.error.empty()) {
        const Civil c = civil_from_days(cal, days);
        out.year = c.year, out.month = c.month, out.day = c.day;
    }
    return out;
}

}  // namespace

DateTime parse_datetime(Piece in, Calendar cal, bool allow_truncated, std::size_t shift) {
    auto at = [&](std::size_t i) { return in.off + (i >= shift ? i - shift : 0); };
    auto bad = [&](std::size_t i, const std::string& what) -> void {
        fail(at(i), fmt::format("'{}' is not an ISO 8601 date-time: {} ({})",
                                show(in.s.substr(shift)), what, kPointHelp));
    };
    std::string_view s = in.s;
    DateTime dt;
    if (s.empty()) bad(0, "it is empty");
    std::size_t tpos = s.find('T');
    std::string_view date = s.substr(0, tpos);
    std::string_view timez =
        tpos == std::string_view::npos ? std::string_view{} : s.substr(tpos + 1);
    bool has_time = tpos != std::string_view::npos;
    bool date_extended = false;

    // --- date
    if (date.empty()) {
        if (!has_time) bad(0, "it is empty");
        dt.truncated = true;
    } else if (date.substr(0, 3) == "---") {
        std::string_view r = date.substr(3);
        if (r.size() != 2 || !all_digits(r)) bad(3, "expected two digits of day after '---'");
        dt.truncated = true;
        dt.day_of_month = num(r);
        if (dt.day_of_month < 1 || dt.day_of_month > (cal == Calendar::d360 ? 30 : 31))
            bad(3, "day of month out of range");
    } else if (date.substr(0, 3) == "-W-") {
        std::string_view r = date.substr(3);
        if (r.size() != 1 || !is_digit(r[0]) || r[0] < '1' || r[0] > '7')
            bad(3, "expected a weekday digit 1 (Monday) to 7 (Sunday) after 'W-'");
        dt.truncated = true;
        dt.day_of_week = r[0] - '0';
    } else if (date.substr(0, 2) == "--") {
        std::string_view r = date.substr(2);
        dt.truncated = true;
        if (r.size() == 2 && all_digits(r)) {
            dt.month_of_year = num(r);
        } else if (r.size() == 4 && all_digits(r)) {
            dt.month_of_year = num(r.substr(0, 2));
            dt.day_of_month = num(r.substr(2));
        } else if (r.size() == 5 && r[2] == '-' && all_digits(r.substr(0, 2)) &&
                   all_digits(r.substr(3))) {
            dt.month_of_year = num(r.substr(0, 2));
            dt.day_of_month = num(r.substr(3));
        } else {
            bad(2, "expected --MM, --MMDD or --MM-DD");
        }
    } else if (date[0] == '-') {
        std::string_view r = date.substr(1);
        dt.truncated = true;
        if (r.size() == 2 && all_digits(r)) {
            dt.year_of_century = num(r);
        } else if (r.size() == 4 && all_digits(r)) {
            dt.year_of_century = num(r.substr(0, 2));
            dt.month_of_year = num(r.substr(2));
        } else if (r.size() == 5 && r[2] == '-' && all_digits(r.substr(0, 2)) &&
                   all_digits(r.substr(3))) {
            dt.year_of_century = num(r.substr(0, 2));
            dt.month_of_year = num(r.substr(3));
        } else {
            bad(1, "expected -YY, -YYMM or -YY-MM (a yearly date is --MM-DD)");
        }
    } else {
        bool reduced = false;
        if (date.size() == 10 && date[4] == '-' && date[7] == '-' &&
            all_digits(date.substr(0, 4)) && all_digits(date.substr(5, 2)) &&
            all_digits(date.substr(8))) {
            dt.year = num(date.substr(0, 4));
            dt.month = num(date.substr(5, 2));
            dt.day = num(date.substr(8));
            date_extended = true;
        } else if (date.size() == 8 && all_digits(date)) {
            dt.year = num(date.substr(0, 4));
            dt.month = num(date.substr(4, 2));
            dt.day = num(date.substr(6));
        } else if (date.size() == 7 && date[4] == '-' && all_digits(date.substr(0, 4)) &&
                   all_digits(date.substr(5))) {
            dt.year = num(date.substr(0, 4));
            dt.month = num(date.substr(5));
            reduced = true;
        } else if (date.size() == 4 && all_digits(date)) {
            dt.year = num(date);
            reduced = true;
        } else if (auto wo = week_or_ordinal(date, cal)) {
            if (!wo->error.empty()) bad(0, wo->error);
            dt.year = wo->year, dt.month = wo->month, dt.day = wo->day;
            date_extended = wo->extended;
        } else if (date.size() == 2 && all_digits(date)) {
            bad(0, "2-digit centuries are not allowed (did you mean T" + std::string(date) + "?)");
        } else {
            bad(0, "bad date");
        }
        if (dt.month < 1 || dt.month > 12) bad(0, "month out of range 01-12");
        if (dt.day < 1 || dt.day > days_in_month(cal, dt.year, dt.month))
            bad(0, fmt::format("day out of range for the month in the calendar"));
        if (reduced && has_time) bad(tpos, "a reduced-precision date cannot take a time");
    }
    if (dt.month_of_year != -1 && (dt.month_of_year < 1 || dt.month_of_year > 12))
        bad(0, "month out of range 01-12");
    if (dt.truncated && dt.day_of_month != -1 &&
        (dt.day_of_month < 1 || dt.day_of_month > (cal == Calendar::d360 ? 30 : 31)))
        bad(0, "day of month out of range");
    if (dt.truncated && !allow_truncated)
        bad(0, "a truncated date-time is not allowed here, give a full one");

    // --- time and zone
    if (has_time) {
        std::size_t tbase = tpos + 1;
        std::string_view t = timez;
        if (t.empty()) t = "00";  // Cylc reads "01T" as "01T00"
        std::size_t zpos = std::string_view::npos;
        if (t.back() == 'Z') {
            zpos = t.size() - 1;
        } else {
            std::size_t lead = 0;
            while (lead < t.size() && t[lead] == '-') ++lead;
            for (std::size_t i = lead; i < t.size(); ++i) {
                if (t[i] == '+' || t[i] == '-') {
                    zpos = i;
                    break;
                }
            }
        }
        if (zpos != std::string_view::npos) {
            Piece z{t.substr(zpos), at(tbase + zpos)};
            dt.zone = parse_zone(z);
            // isodatetime pairs +hh:mm with extended dates, +hhmm with basic ones.
            bool zcolon = z.s.find(':') != std::string_view::npos;
            if (!dt.truncated && z.s.size() > 3 && zcolon != date_extended) {
                fail(z.off,
                     fmt::format("'{}': write the zone as {} to match the {} date",
                                 show(in.s.substr(shift)), date_extended ? "+hh:mm" : "+hhmm",
                                 date_extended ? "extended" : "basic"));
            }
            t = t.substr(0, zpos);
        }
        auto tbad = [&](const std::string& what) { bad(tbase, what); };
        if (t.substr(0, 2) == "--") {
            std::string_view r = t.substr(2);
            if (r.size() != 2 || !all_digits(r)) tbad("expected --ss");
            dt.second = num(r);
        } else if (!t.empty() && t[0] == '-') {
            std::string_view r = t.substr(1);
            if (r.size() == 2 && all_digits(r)) {
                dt.minute = num(r);
            } else if (r.size() == 4 && all_digits(r)) {
                dt.minute = num(r.substr(0, 2)), dt.second = num(r.substr(2));
            } else if (r.size() == 5 && r[2] == ':' && all_digits(r.substr(0, 2)) &&
                       all_digits(r.substr(3))) {
                dt.minute = num(r.substr(0, 2)), dt.second = num(r.substr(3));
            } else {
                tbad("expected a truncated time -mm, -mmss or -mm:ss");
            }
            if (!dt.truncated) tbad("a full date needs a full time (hh, hhmm or hh:mm)");
        } else {
            bool colon = t.find(':') != std::string_view::npos;
            if (t.size() == 2 && all_digits(t)) {
                dt.hour = num(t);
            } else if (t.size() == 4 && all_digits(t)) {
                dt.hour = num(t.substr(0, 2)), dt.minute = num(t.substr(2));
            } else if (t.size() == 6 && all_digits(t)) {
                dt.hour = num(t.substr(0, 2)), dt.minute = num(t.substr(2, 2));
                dt.second = num(t.substr(4));
            } else if (t.size() == 5 && t[2] == ':' && all_digits(t.substr(0, 2)) &&
                       all_digits(t.substr(3))) {
                dt.hour = num(t.substr(0, 2)), dt.minute = num(t.substr(3));
            } else if (t.size() == 8 && t[2] == ':' && t[5] == ':' && all_digits(t.substr(0, 2)) &&
                       all_digits(t.substr(3, 2)) && all_digits(t.substr(6))) {
                dt.hour = num(t.substr(0, 2)), dt.minute = num(t.substr(3, 2));
                dt.second = num(t.substr(6));
            } else if (t.find_first_of(".,") != std::string_view::npos) {
                tbad("decimal fractions of a time are not supported");
            } else {
                tbad("bad time (expected hh, hhmm, hhmmss, hh:mm or hh:mm:ss)");
            }
            // isodatetime does not mix the basic and extended formats.
            if (!dt.truncated && t.size() > 2 && colon != date_extended) {
                tbad(date_extended ? "write the time as hh:mm to match the extended date"
                                   : "write the time as hhmm to match the basic date");
            }
        }
        if (dt.hour > 23) tbad("hour out of range 00-23");
        if (dt.minute > 59) tbad("minute out of range 00-59");
        if (dt.second > 59) tbad("second out of range 00-59");
    }
    // Missing smaller time fields are zero (T06 is 06:00:00), as in isodatetime.
    if (dt.hour != -1 && dt.minute == -1) dt.minute = 0;
    if ((dt.hour != -1 || dt.minute != -1) && dt.second == -1) dt.second = 0;
    if (!dt.truncated) {
        if (dt.hour == -1) dt.hour = dt.minute = dt.second = 0;
    }
    return dt;
}

namespace {

// Cylc's shorthand: "01T00" is "---01T00", "0101T00" is "--0101T00",
// "W-1T00" is "-W-1T00". Returns the prefix to prepend ("" for none).
std::string_view cylc_truncation_prefix(std::string_view s) {
    auto digits_then_t = [&](std::size_t n) {
        return s.size() > n && all_digits(s.substr(0, n)) && s[n] == 'T';
    };
    if (digits_then_t(2)) return "---";
    if (digits_then_t(4)) return "--";
    if (s.substr(0, 2) == "W-") return "-";
    return "";
}

}  // namespace

DateTime parse_datetime_cylc(Piece in, Calendar cal, bool allow_truncated) {
    std::string_view prefix = allow_truncated ? cylc_truncation_prefix(in.s) : std::string_view{};
    if (prefix.empty()) return parse_datetime(in, cal, allow_truncated);
    std::string buf = std::string(prefix) + std::string(in.s);
    return parse_datetime(Piece{buf, in.off}, cal, true, prefix.size());
}

namespace {

// Does a day (local days since 0001-01-01) satisfy the truncated date fields?
bool day_matches(const DateTime& t, Calendar cal, std::int64_t days) {
    if (t.day_of_week != -1 && weekday(days) != t.day_of_week) return false;
    if (t.year_of_century == -1 && t.month_of_year == -1 && t.day_of_month == -1) return true;
    Civil c = civil_from_days(cal, days);
    if (t.year_of_century != -1 && floormod(c.year, 100) != t.year_of_century) return false;
    if (t.month_of_year != -1 && c.month != t.month_of_year) return false;
    if (t.day_of_month != -1 && c.day != t.day_of_month) return false;
    return true;
}

// Times of day matching the truncated time fields, ascending.
std::vector<std::int64_t> matching_times(const DateTime& t) {
    std::vector<std::int64_t> out;
    if (t.hour == -1 && t.minute == -1 && t.second == -1) {
        out.push_back(0);  // a truncated date alone means midnight
        return out;
    }
    for (int h = 0; h < 24; ++h) {
        if (t.hour != -1 && h != t.hour) continue;
        for (int m = 0; m < 60; ++m) {
            if (t.minute != -1 && m != t.minute) continue;
            for (int s = 0; s < 60; ++s) {
                if (t.second != -1 && s != t.second) continue;
                out.push_back(h * 3600 + m * 60 + s);
            }
        }
    }
    return out;
}

}  // namespace

std::optional<std::int64_t> match_truncated(const DateTime& t, const CyclingSettings& st,
                                            std::int64_t from, bool forward) {
    int zone = t.zone.value_or(st.utc_offset_minutes);
    std::int64_t local = from + std::int64_t{zone} * 60;
    std::int64_t day0 = floordiv(local, kDay);
    std::int64_t sod0 = floormod(local, kDay);
    std::vector<std::int64_t> times = matching_times(t);
    const std::int64_t span = t.year_of_century != -1 ? 40'000 : 3'000;
    for (std::int64_t i = 0; i <= span; ++i) {
        std::int64_t day = forward ? day0 + i : day0 - i;
        if (!day_matches(t, st.calendar, day)) continue;
        if (forward) {
            for (std::int64_t tod : times) {
                if (i == 0 && tod < sod0) continue;
                return clamp_point(static_cast<__int128>(day) * kDay + tod - zone * 60);
            }
        } else {
            for (auto it = times.rbegin(); it != times.rend(); ++it) {
                if (i == 0 && *it >= sod0) continue;
                return clamp_point(static_cast<__int128>(day) * kDay + *it - zone * 60);
            }
        }
    }
    return std::nullopt;
}

std::optional<Interval> truncation_interval(const DateTime& t) {
    if (t.year_of_century != -1) return Interval{0, 1200, 0};
    if (t.month_of_year != -1) return Interval{0, 12, 0};
    if (t.day_of_month != -1) return Interval{0, 1, 0};
    if (t.day_of_week != -1) return Interval{0, 0, 7 * kDay};
    if (t.hour != -1) return Interval{0, 0, kDay};
    if (t.minute != -1) return Interval{0, 0, 3600};
    if (t.second != -1) return Interval{0, 0, 60};
    return std::nullopt;
}

std::int64_t complete_value(const DateTime& dt, const CyclingSettings& st) {
    Civil c{dt.year, dt.month, dt.day, std::int64_t{dt.hour} * 3600 + dt.minute * 60 + dt.second};
    return from_civil(st.calendar, c, dt.zone.value_or(st.utc_offset_minutes));
}

// ---------------------------------------------------------------------------
// Intervals.

namespace {

const char* const kDurationHelp = "expected e.g. PT6H, P1D, P1W, P1M, P1Y or P1Y2M3DT4H5M6S";

}  // namespace

Interval parse_interval_impl(Piece in, CyclingMode mode) {
    std::string_view s = in.s;
    auto bad = [&](std::size_t i, const std::string& what) -> void {
        if (mode == CyclingMode::integer) {
            fail(in.off + i, fmt::format("'{}' is not an integer interval: {} (expected e.g. P1, "
                                         "P3, -P1)",
                                         show(s), what));
        }
        fail(in.off + i, fmt::format("'{}' is not an ISO 8601 duration: {} ({})", show(s), what,
                                     kDurationHelp));
    };
    std::size_t i = 0;
    int sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    if (i >= s.size() || s[i] != 'P') bad(i, "it must start with P");
    ++i;
    auto read_number = [&](std::int64_t& v) {
        std::size_t b = i;
        while (i < s.size() && is_digit(s[i])) ++i;
        if (i == b) return false;
        if (i - b > 9) bad(b, "number too large (at most 9 digits)");
        v = num(s.substr(b, i - b));
        return true;
    };
    if (mode == CyclingMode::integer) {
        std::int64_t v = 0;
        if (!read_number(v)) bad(i, "expected a number after P");
        if (i != s.size()) bad(i, "unexpected text after the number");
        return Interval{sign * v, 0, 0};
    }
    Interval r;
    bool any = false;
    bool in_time = false;
    // Designators must come in this order; each at most once.
    const std::string_view date_units = "YMWD";
    const std::string_view time_units = "HMS";
    int last_rank = -1;
    bool weeks = false;
    while (i < s.size()) {
        if (s[i] == 'T') {
            if (in_time) bad(i, "a second 'T'");
            in_time = true;
            last_rank = -1;
            ++i;
            if (i >= s.size()) bad(i, "expected hours, minutes or seconds after T");
            continue;
        }
        std::size_t numpos = i;
        std::int64_t v = 0;
        if (!read_number(v)) bad(i, fmt::format("unexpected '{}'", show(s.substr(i, 1))));
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
            bad(i, "fractions are not supported, use a smaller unit (PT90M, not PT1.5H)");
        }
        if (i >= s.size()) bad(i, "a number needs a unit designator");
        char u = s[i];
        std::string_view units = in_time ? time_units : date_units;
        std::size_t rank = units.find(u);
        if (rank == std::string_view::npos)
            bad(i, fmt::format("'{}' is not a unit here", show(s.substr(i, 1))));
        if (static_cast<int>(rank) <= last_rank) bad(i, "units out of order or repeated");
        last_rank = static_cast<int>(rank);
        ++i;
        any = true;
        switch (in_time ? u + 1 : u) {  // time 'M' is shifted to tell it from months
            case 'Y':
                r.months += v * 12;
                break;
            case 'M':
                r.months += v;
                break;
            case 'W':
                r.seconds += v * 7 * kDay;
                weeks = true;
                break;
            case 'D':
                r.seconds += v * kDay;
                break;
            case 'H' + 1:
                r.seconds += v * 3600;
                break;
            case 'M' + 1:
                r.seconds += v * 60;
                break;
            case 'S' + 1:
                r.seconds += v;
                break;
            default:
                break;
        }
        if (weeks && (r.months != 0 || r.seconds != v * 7 * kDay || in_time)) {
            bad(numpos, "weeks cannot be combined with other units (write P1W or P7DT6H)");
        }
    }
    if (!any) bad(i, "no amount given (write e.g. P0Y for a zero interval)");
    r.months *= sign;
    r.seconds *= sign;
    return r;
}

Chain split_chain(Piece p, CyclingMode mode) {
    Chain c;
    std::size_t first = std::string_view::npos;
    for (std::size_t i = 0; i + 1 < p.s.size(); ++i) {
        if ((p.s[i] == '+' || p.s[i] == '-') && p.s[i + 1] == 'P') {
            first = i;
            break;
        }
    }
    c.head = p.sub(0, first).trimmed();
    if (first == std::string_view::npos) return c;
    std::size_t b = first;
    while (b < p.s.size()) {
        std::size_t e = b + 1;
        while (e < p.s.size() &&
               !((p.s[e] == '+' || p.s[e] == '-') && e + 1 < p.s.size() && p.s[e + 1] == 'P')) {
            ++e;
        }
        Piece item = p.sub(b, e - b).trimmed();
        c.offsets.emplace_back(parse_interval_impl(item, mode), item);
        b = e;
    }
    return c;
}

std::optional<MinExpr> split_min(Piece p, CyclingMode mode) {
    const std::size_t open = p.s.find('(');
    if (open == std::string_view::npos || open == 0) return std::nullopt;
    const std::string_view name = p.s.substr(0, open);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
        return std::nullopt;
    if (name != "min") {
        fail(p.off, fmt::format("'{}(...)' is not a point function tock knows: min(...) picks "
                                "the earliest of several points, as in min(T00,+PT1H)",
                                show(name)));
    }
    if (mode == CyclingMode::integer) {
        fail(p.off, "min(...) is for date-time cycling; integer points are written 1, +P2");
    }
    const std::size_t close = p.s.find(')', open);
    if (close == std::string_view::npos) {
        fail(p.off + p.s.size(), "missing ')' closing min(...), as in min(T00,+PT1H)");
    }
    MinExpr m;
    for (Piece item : split_top(p.sub(open + 1, close - open - 1), ',')) {
        item = item.trimmed();
        if (item.s.empty()) fail(item.off, "empty item in min(...): remove the extra comma");
        m.items.push_back(item);
    }
    m.tail = split_chain(p.sub(close + 1), mode);
    if (!m.tail.head.s.empty()) {
        fail(m.tail.head.off, fmt::format("unexpected '{}' after min(...) (only offsets like "
                                          "+PT6H may follow)",
                                          show(m.tail.head.s)));
    }
    return m;
}

// ---------------------------------------------------------------------------
// Integer points.

std::int64_t parse_int_point(Piece p) {
    std::string_view s = p.s;
    std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (!all_digits(s.substr(i)) || s.size() - i > 15) {
        fail(p.off, fmt::format("'{}' is not an integer cycle point (expected e.g. 1, 20; "
                                "relative points are written +P1)",
                                show(s)));
    }
    std::int64_t v = 0;
    for (char c : s.substr(i)) v = v * 10 + (c - '0');
    return s[0] == '-' ? -v : v;
}

}  // namespace tock::config::cycling_detail
