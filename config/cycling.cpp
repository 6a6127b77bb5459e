// Cycle points, intervals and recurrences, following Cylc 8 (whose date-time
// arithmetic is metomi-isodatetime's). Decisions worth knowing:
//
// * Nominal months are added one month at a time, clamping the day at each
//   step, exactly as isodatetime does: 2026-01-31 + P1M = 2026-02-28, and
//   2026-01-31 + P2M = 2026-03-28 (not 03-31). Exact parts (days, hours, ...)
//   are added first, then months, then years (a year clamps only Feb 29).
//   An Interval keeps years*12+months in one field, so P13M behaves as P1Y1M.
// * A bare offset heading such as "-PT6H" or "+PT6H" is rejected, as Cylc 8
//   rejects it (a start point with neither interval nor R1 is no recurrence);
//   the message suggests "R1/-PT6H" (one point) or "-PT6H/PT6H".
// * "Rn/start/end" with two date-times is ISO 8601 format 1 as Cylc 8 reads
//   it: the second date-time ends the first interval (R3/T00/T06 gives T00,
//   T06, T12). In integer mode Cylc spreads n points evenly from start to end
//   (R3/1/5 gives 1, 3, 5); so does tock, and the division must be exact.
// * "-01-01T00" is year-of-century 01, January (every 100 years), as in ISO
//   8601:2000 and Cylc; a yearly date is written "--01-01T00" or "0101T00".
// * "previous(X)" is the last point matching X strictly before now, "next(X)"
//   the first at or after now; with a ';' list the nearest to now wins.
// * Points are written CCYYMMDDThhmmZ; a point with non-zero seconds gets
//   CCYYMMDDThhmmssZ so that it reads back unchanged.
// * "P" and "PT" with no number are errors (isodatetime reads them as P0Y).
// * A heading is a comma list at top level (commas inside parentheses belong
//   to exclusion lists); each item keeps its own exclusions.
#include "config/cycling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>

#include "config/cycling_detail.hpp"

namespace tock::config {

using namespace cycling_detail;

namespace {

// Nominal sequences remember every kStride-th point, so a query steps at most
// kStride times from a checkpoint.
constexpr std::int64_t kStride = 64;
// Upper bound on consecutive excluded points skipped in one query.
constexpr int kMaxSkips = 100'000;

// ---------------------------------------------------------------------------
// Small text helpers.

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

// Splits on `sep` outside parentheses; checks the parentheses balance.
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

// `shift`: characters prepended to the user's text (Cylc's "01T00" ->
// "---01T00"), removed again when reporting offsets.
DateTime parse_datetime(Piece in, Calendar cal, bool allow_truncated, std::size_t shift = 0) {
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

DateTime parse_datetime_cylc(Piece in, Calendar cal, bool allow_truncated) {
    std::string_view prefix = allow_truncated ? cylc_truncation_prefix(in.s) : std::string_view{};
    if (prefix.empty()) return parse_datetime(in, cal, allow_truncated);
    std::string buf = std::string(prefix) + std::string(in.s);
    return parse_datetime(Piece{buf, in.off}, cal, true, prefix.size());
}

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

// The first point matching truncated `t` at or after `from` (forward), or
// the last strictly before `from` (backward). Searches up to ~110 years.
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

// The interval a truncated start implies (Cylc: "T00" recurs daily).
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

const char* const kDurationHelp = "expected e.g. PT6H, P1D, P1W, P1M, P1Y or P1Y2M3DT4H5M6S";

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

bool is_negative(const Interval& i) {
    return i.steps < 0 || i.months < 0 || i.seconds < 0;
}

// Offsets chained after a point: "2026+P1M-P1D" -> head "2026", offsets.
struct Chain {
    Piece head;
    std::vector<std::pair<Interval, Piece>> offsets;
};

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

// Cylc's min(a,b,...): the earliest of several point expressions, each read
// in the same context, then any offsets written after ')'. nullopt when `p`
// is no function call; another function name is refused by name.
struct MinExpr {
    std::vector<Piece> items;
    Chain tail;
};

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
// Rules: one recurrence, bounded, with its own exclusions.

struct RuleImpl {
    enum class Kind { single, exact, nominal };
    Kind kind = Kind::single;
    CyclingSettings st;
    std::int64_t start = 0;                 // first point of the recurrence (may lie below lo)
    std::int64_t step = 0;                  // exact: seconds, or integer steps
    Interval istep;                         // nominal
    std::int64_t lo = 0, hi = -1;           // inclusive bounds on values
    std::vector<std::int64_t> checkpoints;  // nominal: every kStride-th point
    std::int64_t count = 0;                 // nominal: points from start to hi
    std::vector<RuleImpl> excl;
    bool covered = false;  // an exclusion covers every point: none is left

    // Every point of r is one of this rule's: the same recurrence, or one
    // through the same points with a step that is a multiple of this one's.
    // A quick check for the common case (scheduling.exclusions: [P1M] with
    // a P1M section), so that an emptied rule is not searched point by point.
    bool covers(const RuleImpl& r) const {
        if (!excl.empty() || lo > r.lo || hi < r.hi) return false;
        const auto first = r.raw_first_ge(r.lo);
        if (!first) return true;
        if (r.kind == Kind::single) return raw_contains(r.start);
        if (kind != r.kind || !raw_contains(*first)) return false;
        if (kind == Kind::exact) return r.step % step == 0;
        return istep == r.istep && start == r.start;
    }

    std::optional<std::int64_t> raw_first_ge(std::int64_t q) const {
        q = std::max(q, lo);
        if (q > hi) return std::nullopt;
        switch (kind) {
            case Kind::single:
                return start >= q && start <= hi ? std::optional(start) : std::nullopt;
            case Kind::exact: {
                __int128 k = (static_cast<__int128>(q) - start + step - 1) / step;
                if (k < 0) k = 0;
                __int128 x = start + k * step;
                if (x > hi) return std::nullopt;
                return static_cast<std::int64_t>(x);
            }
            case Kind::nominal: {
                if (count == 0) return std::nullopt;
                auto it = std::upper_bound(checkpoints.begin(), checkpoints.end(), q);
                if (it == checkpoints.begin())
                    return start <= hi ? std::optional(start) : std::nullopt;
                std::size_t idx = static_cast<std::size_t>(it - checkpoints.begin()) - 1;
                std::int64_t x = checkpoints[idx];
                std::int64_t n = static_cast<std::int64_t>(idx) * kStride;
                while (x < q && n + 1 < count) {
                    x = add_value(st, x, istep);
                    ++n;
                }
                if (x < q || x > hi) return std::nullopt;
                return x;
            }
        }
        return std::nullopt;
    }

    std::optional<std::int64_t> raw_last_le(std::int64_t q) const {
        q = std::min(q, hi);
        if (q < lo) return std::nullopt;
        switch (kind) {
            case Kind::single:
                return start <= q && start >= lo ? std::optional(start) : std::nullopt;
            case Kind::exact: {
                if (q < start) return std::nullopt;
                __int128 k = (static_cast<__int128>(q) - start) / step;
                __int128 x = start + k * step;
                if (x < lo) return std::nullopt;
                return static_cast<std::int64_t>(x);
            }
            case Kind::nominal: {
                if (count == 0) return std::nullopt;
                auto it = std::upper_bound(checkpoints.begin(), checkpoints.end(), q);
                if (it == checkpoints.begin()) return std::nullopt;
                std::size_t idx = static_cast<std::size_t>(it - checkpoints.begin()) - 1;
                std::int64_t x = checkpoints[idx];
                std::int64_t n = static_cast<std::int64_t>(idx) * kStride;
                while (n + 1 < count) {
                    std::int64_t nx = add_value(st, x, istep);
                    if (nx > q) break;
                    x = nx;
                    ++n;
                }
                if (x < lo) return std::nullopt;
                return x;
            }
        }
        return std::nullopt;
    }

    bool raw_contains(std::int64_t p) const { return raw_first_ge(p) == p; }

    bool excluded(std::int64_t p) const {
        return std::any_of(excl.begin(), excl.end(),
                           [&](const RuleImpl& r) { return r.raw_contains(p) && !r.excluded(p); });
    }

    std::optional<std::int64_t> first_ge(std::int64_t q) const {
        if (covered) return std::nullopt;
        for (int i = 0; i < kMaxSkips; ++i) {
            auto c = raw_first_ge(q);
            if (!c || !excluded(*c)) return c;
            if (*c >= kPointLimit) return std::nullopt;
            q = *c + 1;
        }
        return std::nullopt;
    }

    std::optional<std::int64_t> last_le(std::int64_t q) const {
        if (covered) return std::nullopt;
        for (int i = 0; i < kMaxSkips; ++i) {
            auto c = raw_last_le(q);
            if (!c || !excluded(*c)) return c;
            if (*c <= -kPointLimit) return std::nullopt;
            q = *c - 1;
        }
        return std::nullopt;
    }
};

using Rule = RuleImpl;
// Nominal sequences stop after this many points from their start (about
// 250,000 years of months): bounds work on absurd inputs.
constexpr std::int64_t kMaxNominalSteps = 3'000'000;

// The latest value sequences may reach: year 9999 ends every recurrence, as
// CCYY cannot write later years.
std::int64_t horizon(const CyclingSettings& st) {
    if (st.mode == CyclingMode::integer) return kPointLimit;
    return days_before_year(st.calendar, 10000) * kDay - 1 -
           std::int64_t{st.utc_offset_minutes} * 60;
}

struct RuleSpec {
    std::int64_t start = 0;
    Interval step;                      // zero: a single point
    std::optional<std::int64_t> count;  // number of points
    std::optional<std::int64_t> end;    // last value allowed
};

Rule make_rule(const CyclingSettings& st, const RuleSpec& spec, std::int64_t lo, std::int64_t hi) {
    Rule r;
    r.st = st;
    r.start = spec.start;
    r.lo = std::max(lo, spec.start);
    r.hi = std::min(hi, horizon(st));
    if (spec.end) r.hi = std::min(r.hi, *spec.end);
    bool single = spec.step.is_zero() || (spec.count && *spec.count <= 1);
    if (single) {
        r.kind = Rule::Kind::single;
        return r;
    }
    std::int64_t exact = st.mode == CyclingMode::integer ? spec.step.steps
                         : spec.step.months == 0         ? spec.step.seconds
                                                         : 0;
    if (exact > 0) {
        r.kind = Rule::Kind::exact;
        r.step = exact;
        if (spec.count) {
            __int128 last = static_cast<__int128>(spec.start) +
                            static_cast<__int128>(exact) * (*spec.count - 1);
            r.hi = std::min<std::int64_t>(r.hi, clamp_point(last));
        }
        return r;
    }
    r.kind = Rule::Kind::nominal;
    r.istep = spec.step;
    std::int64_t x = spec.start;
    std::int64_t limit = spec.count.value_or(std::numeric_limits<std::int64_t>::max());
    std::int64_t n = 0;
    // Bounded: every step advances at least 28 days and stops at r.hi, which
    // is at most year 9999.
    while (n < limit && x <= r.hi && n < kMaxNominalSteps) {
        if (n % kStride == 0) r.checkpoints.push_back(x);
        ++n;
        std::int64_t nx = add_value(st, x, spec.step);
        if (nx <= x) break;
        x = nx;
    }
    r.count = n;
    return r;
}

}  // namespace

// The type Sequence holds; all the work is in RuleImpl.
struct Sequence::Rule : RuleImpl {
    explicit Rule(RuleImpl r) : RuleImpl(std::move(r)) {}
};

// ---------------------------------------------------------------------------
// Sequence.

std::optional<Point> Sequence::first_at_or_after(Point p) const {
    std::optional<std::int64_t> best;
    for (const auto& r : include_) {
        auto c = r->first_ge(p.value);
        if (c && (!best || *c < *best)) best = c;
    }
    if (!best) return std::nullopt;
    return Point{*best};
}

std::optional<Point> Sequence::next_after(Point p) const {
    if (p.value >= kPointLimit) return std::nullopt;
    return first_at_or_after(Point{p.value + 1});
}

std::optional<Point> Sequence::prev_before(Point p) const {
    if (p.value <= -kPointLimit) return std::nullopt;
    std::optional<std::int64_t> best;
    for (const auto& r : include_) {
        auto c = r->last_le(p.value - 1);
        if (c && (!best || *c > *best)) best = c;
    }
    if (!best) return std::nullopt;
    return Point{*best};
}

bool Sequence::contains(Point p) const {
    return std::any_of(include_.begin(), include_.end(), [&](const auto& r) {
        return r->raw_contains(p.value) && !r->excluded(p.value);
    });
}

void Sequence::exclude(Point p) {
    RuleImpl single;
    single.kind = RuleImpl::Kind::single;
    single.start = single.lo = single.hi = p.value;
    for (auto& r : include_) {
        RuleImpl copy = *r;
        copy.covered = copy.covered || single.covers(copy);
        copy.excl.push_back(single);
        r = std::make_shared<const Rule>(std::move(copy));
    }
}

void Sequence::exclude(const Sequence& other) {
    for (auto& r : include_) {
        RuleImpl copy = *r;
        for (const auto& o : other.include_) {
            copy.covered = copy.covered || o->covers(copy);
            copy.excl.push_back(*o);
        }
        r = std::make_shared<const Rule>(std::move(copy));
    }
}

std::vector<Point> Sequence::points(Point from, Point to, std::size_t limit) const {
    std::vector<Point> out;
    auto x = first_at_or_after(from);
    while (x && *x <= to && out.size() < limit) {
        out.push_back(*x);
        x = next_after(*x);
    }
    return out;
}

// ---------------------------------------------------------------------------
// Cycling.

Cycling::Cycling(CyclingSettings s) : s_(s) {}

namespace {

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

}  // namespace

Point Cycling::parse_point(std::string_view text) const {
    Piece p = Piece{text, 0}.trimmed();
    if (s_.mode == CyclingMode::integer) return Point{parse_int_point(p)};
    DateTime dt = parse_datetime(p, s_.calendar, false);
    return Point{complete_value(dt, s_)};
}

namespace {

// An expression resolved to a value: absolute, truncated-against-context,
// "^", "$", or "" (the context), plus chained offsets.
struct Resolved {
    std::int64_t value = 0;
    std::optional<DateTime> truncated;  // set when the head was truncated
};

}  // namespace

Point Cycling::parse_point_expr(std::string_view text, std::optional<Point> base, Point now) const {
    Piece p = Piece{text, 0}.trimmed();
    if (p.s.empty()) fail(0, "empty cycle point (expected e.g. 2026-01-01T00Z, now, +P1D)");
    const bool dt_mode = s_.mode == CyclingMode::datetime;
    std::int64_t ctx = base ? base->value : now.value;

    if (dt_mode && p.s == "now") return now;
    if (dt_mode && (p.s.substr(0, 5) == "next(" || p.s.substr(0, 9) == "previous(")) {
        bool next = p.s[0] == 'n';
        std::size_t open = p.s.find('(');
        std::size_t close = p.s.find(')');
        if (close == std::string_view::npos) {
            fail(p.off + p.s.size(), "missing ')' (expected e.g. next(T00) or previous(T06;T18))");
        }
        std::int64_t best = 0;
        std::int64_t best_diff = -1;
        for (Piece item : split_top(p.sub(open + 1, close - open - 1), ';')) {
            item = item.trimmed();
            DateTime dt = parse_datetime_cylc(item, s_.calendar, true);
            if (!dt.truncated) {
                fail(item.off, fmt::format("'{}' inside {}() must be a truncated date-time such "
                                           "as T00, 01T00 or W-1T00",
                                           show(item.s), next ? "next" : "previous"));
            }
            auto m = match_truncated(dt, s_, now.value, next);
            if (!m) fail(item.off, fmt::format("no date-time matches '{}'", show(item.s)));
            std::int64_t diff = *m > now.value ? *m - now.value : now.value - *m;
            if (best_diff < 0 || diff < best_diff) best = *m, best_diff = diff;
        }
        Chain tail = split_chain(p.sub(close + 1), s_.mode);
        if (!tail.head.s.empty()) {
            fail(tail.head.off, fmt::format("unexpected '{}' after ')' (only offsets like "
                                            "+PT6H may follow)",
                                            show(tail.head.s)));
        }
        for (const auto& [iv, _] : tail.offsets) best = add_value(s_, best, iv);
        return Point{best};
    }

    if (auto m = split_min(p, s_.mode)) {
        std::optional<Point> best;
        for (const Piece& item : m->items) {
            Point v;
            try {
                v = parse_point_expr(item.s, base, now);
            } catch (const ParseError& e) {
                throw ParseError(e.what(), item.off + e.offset);
            }
            if (!best || v < *best) best = v;
        }
        for (const auto& [iv, _] : m->tail.offsets) best->value = add_value(s_, best->value, iv);
        return *best;
    }
    Chain chain = split_chain(p, s_.mode);
    std::int64_t v = 0;
    if (chain.head.s.empty() || chain.head.s[0] == 'P') {
        // "+P1D", "-P1D", and a bare "P1D" (Cylc reads that as an offset too).
        if (!base && !dt_mode) {
            fail(p.off, "a relative cycle point like +P1 needs an initial cycle point");
        }
        v = ctx;
        if (!chain.head.s.empty()) v = add_value(s_, v, parse_interval_impl(chain.head, s_.mode));
    } else if (!dt_mode) {
        v = parse_int_point(chain.head);
    } else {
        DateTime dt = parse_datetime_cylc(chain.head, s_.calendar, true);
        if (dt.truncated) {
            auto m = match_truncated(dt, s_, ctx, true);
            if (!m)
                fail(chain.head.off, fmt::format("no date-time matches '{}'", show(chain.head.s)));
            v = *m;
        } else {
            v = complete_value(dt, s_);
        }
    }
    for (const auto& [iv, _] : chain.offsets) v = add_value(s_, v, iv);
    return Point{v};
}

bool Cycling::offset_is_absolute(std::string_view off) {
    std::size_t b = 0;
    while (b < off.size() && is_space(off[b])) ++b;
    if (b == off.size()) return false;
    const char c = off[b];
    // As Cylc classes them: an interval chain starts with a sign or P, a
    // truncated time of day (T06) would be relative; anything else names a point.
    return c != 'P' && c != '+' && c != '-' && c != 'T';
}

Point Cycling::offset_point(std::string_view off, Point downstream, Point initial,
                            std::optional<Point> final) const {
    Piece p = Piece{off, 0}.trimmed();
    if (p.s.empty()) fail(0, "empty offset (expected e.g. -P1, ^, 2, -P1D+PT18H)");
    std::int64_t v = downstream.value;
    Piece rest = p;
    if (p.s[0] == '^' || p.s[0] == '$') {
        v = p.s[0] == '^' ? initial.value : final.value_or(initial).value;
        rest = p.sub(1);
    } else if (offset_is_absolute(p.s)) {
        // A point, then offsets: [2], [20100101T0600Z], [2010-01-20T00Z-P2W],
        // [20T-P2W] (truncated: the first match at or after the initial point).
        if (auto m = split_min(p, s_.mode)) {
            std::optional<std::int64_t> best;
            for (const Piece& item : m->items) {
                const std::int64_t x = offset_point(item.s, initial, initial, final).value;
                if (!best || x < *best) best = x;
            }
            v = *best;
            for (const auto& [iv, _] : m->tail.offsets) v = add_value(s_, v, iv);
            return Point{v};
        }
        Chain chain = split_chain(p, s_.mode);
        if (s_.mode == CyclingMode::integer) {
            v = parse_int_point(chain.head);
        } else {
            DateTime dt = parse_datetime_cylc(chain.head, s_.calendar, true);
            if (dt.truncated) {
                auto m = match_truncated(dt, s_, initial.value, true);
                if (!m) {
                    fail(chain.head.off,
                         fmt::format("no date-time matches '{}'", show(chain.head.s)));
                }
                v = *m;
            } else {
                v = complete_value(dt, s_);
            }
        }
        for (const auto& [iv, _] : chain.offsets) v = add_value(s_, v, iv);
        return Point{v};
    }
    Chain chain = split_chain(rest, s_.mode);
    if (!chain.head.s.empty()) {
        if (chain.head.s[0] == 'T') {
            fail(chain.head.off,
                 fmt::format("'{}': a truncated point relative to the task's own cycle point "
                             "is not supported in an offset; write an interval such as -PT6H, or "
                             "a full point such as 2026-01-01T06Z",
                             show(p.s)));
        }
        if (chain.head.s[0] != 'P') {
            fail(chain.head.off, fmt::format("unexpected '{}' (expected an offset such as "
                                             "+P1D or -PT6H after the point)",
                                             show(chain.head.s)));
        }
        // A bare leading interval, as in [P1D] or [P1D-PT6H]: forwards.
        v = add_value(s_, v, parse_interval_impl(chain.head, s_.mode));
    }
    for (const auto& [iv, _] : chain.offsets) v = add_value(s_, v, iv);
    return Point{v};
}

std::optional<Interval> Cycling::offset_interval(std::string_view off) const {
    Piece p = Piece{off, 0}.trimmed();
    if (p.s.empty() || offset_is_absolute(p.s) || p.s[0] == '^' || p.s[0] == '$')
        return std::nullopt;
    Chain chain = split_chain(p, s_.mode);
    if (chain.head.s.empty() && chain.offsets.size() == 1) return chain.offsets[0].first;
    if (!chain.head.s.empty() && chain.offsets.empty())
        return parse_interval_impl(chain.head, s_.mode);
    return std::nullopt;
}

std::optional<Point> Cycling::offset_downstream(std::string_view off, Point upstream) const {
    Piece p = Piece{off, 0}.trimmed();
    if (p.s.empty() || offset_is_absolute(p.s) || p.s[0] == '^' || p.s[0] == '$')
        return std::nullopt;
    Chain chain = split_chain(p, s_.mode);
    std::vector<Interval> steps;
    if (!chain.head.s.empty()) steps.push_back(parse_interval_impl(chain.head, s_.mode));
    for (const auto& [iv, _] : chain.offsets) steps.push_back(iv);
    // Undo the offsets in reverse order; with nominal months the way back
    // may miss (Mar 31 -P1M is Feb 28, and Feb 28 +P1M is Mar 28), so the
    // answer is checked forwards.
    std::int64_t v = upstream.value;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) v = add_value(s_, v, -*it);
    if (steps.size() == 1) return Point{v};
    std::int64_t fwd = v;
    for (const auto& iv : steps) fwd = add_value(s_, fwd, iv);
    if (fwd != upstream.value) return std::nullopt;
    return Point{v};
}

std::string Cycling::point_template(std::string_view f, std::string& why) {
    static const std::pair<std::string_view, std::string_view> strftime_codes[] = {
        {"%Y", "CCYY"}, {"%m", "MM"}, {"%d", "DD"},   {"%H", "hh"},
        {"%M", "mm"},   {"%S", "ss"}, {"%z", "+hhmm"}};
    static const std::string_view tokens[] = {"CCYY", "+hhmm", "+hh", "MM", "DD", "hh",
                                              "mm",   "ss",    "Z",   "-",  "T"};
    std::string iso;
    for (std::size_t i = 0; i < f.size();) {
        if (f[i] == '%') {
            bool found = false;
            for (const auto& [code, token] : strftime_codes) {
                if (f.substr(i, 2) == code) {
                    iso += token;
                    i += 2;
                    found = true;
                    break;
                }
            }
            if (!found) {
                why = fmt::format(
                    "'{}' is not a field tock writes: use %Y %m %d %H %M %S %z "
                    "(or CCYY MM DD hh mm ss +hhmm)",
                    f.substr(i, 2));
                return "";
            }
            continue;
        }
        bool found = false;
        for (const auto t : tokens) {
            if (f.substr(i, t.size()) == t) {
                iso += t;
                i += t.size();
                found = true;
                break;
            }
        }
        if (!found) {
            why = f[i] == ':' ? "':' cannot be in a cycle point: it separates a task from its "
                                "state in task ids (write CCYY-MM-DDThhmmZ)"
                              : fmt::format(
                                    "'{}' is not part of a point tock writes: use CCYY, "
                                    "MM, DD, hh, mm, ss, +hhmm or Z, with - and T",
                                    f.substr(i, 1));
            return "";
        }
    }
    if (iso.find("CCYY") == std::string::npos) {
        why = "it must contain the year (CCYY or %Y)";
        return "";
    }
    if (iso.find('Z') != std::string::npos && iso.find('+') != std::string::npos) {
        why = "it has both Z (UTC) and an offset (+hhmm): keep one";
        return "";
    }
    return iso;
}

std::string Cycling::format(Point p) const {
    if (s_.mode == CyclingMode::integer) return std::to_string(p.value);
    if (!s_.point_format.empty()) {
        // As isodatetime's dumper: with Z the point is written in UTC; else
        // in the workflow's zone, with its offset where the template has one.
        const std::string& t = s_.point_format;
        const int z = t.find('Z') != std::string::npos ? 0 : s_.utc_offset_minutes;
        const Civil c = to_civil(s_.calendar, p.value, z);
        const int az = z < 0 ? -z : z;
        std::string out;
        for (std::size_t i = 0; i < t.size();) {
            auto at = [&](std::string_view tok) { return t.compare(i, tok.size(), tok) == 0; };
            if (at("CCYY")) {
                out += c.year >= 0 && c.year <= 9999 ? fmt::format("{:04d}", c.year)
                                                     : fmt::format("{:+05d}", c.year);
                i += 4;
            } else if (at("+hhmm")) {
                out += fmt::format("{}{:02d}{:02d}", z < 0 ? '-' : '+', az / 60, az % 60);
                i += 5;
            } else if (at("+hh")) {
                out += fmt::format("{}{:02d}", z < 0 ? '-' : '+', az / 60);
                i += 3;
            } else if (at("MM")) {
                out += fmt::format("{:02d}", c.month);
                i += 2;
            } else if (at("DD")) {
                out += fmt::format("{:02d}", c.day);
                i += 2;
            } else if (at("hh")) {
                out += fmt::format("{:02d}", c.sod / 3600);
                i += 2;
            } else if (at("mm")) {
                out += fmt::format("{:02d}", c.sod / 60 % 60);
                i += 2;
            } else if (at("ss")) {
                out += fmt::format("{:02d}", c.sod % 60);
                i += 2;
            } else {
                out += t[i++];
            }
        }
        return out;
    }
    Civil c = to_civil(s_.calendar, p.value, s_.utc_offset_minutes);
    std::string year = c.year >= 0 && c.year <= 9999 ? fmt::format("{:04d}", c.year)
                                                     : fmt::format("{:+05d}", c.year);
    std::int64_t h = c.sod / 3600, m = c.sod / 60 % 60, sec = c.sod % 60;
    std::string out = fmt::format("{}{:02d}{:02d}T{:02d}{:02d}", year, c.month, c.day, h, m);
    if (sec != 0) out += fmt::format("{:02d}", sec);
    int z = s_.utc_offset_minutes;
    if (z == 0) return out + "Z";
    int az = z < 0 ? -z : z;
    return out + fmt::format("{}{:02d}{:02d}", z < 0 ? '-' : '+', az / 60, az % 60);
}

Point Cycling::now() const {
    if (s_.mode == CyclingMode::integer) return Point{0};
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    std::int64_t unix_days = floordiv(secs, kDay);
    Civil g = civil_from_days(Calendar::gregorian,
                              unix_days + days_from_civil(Calendar::gregorian, 1970, 1, 1));
    // The same wall-clock date in the workflow's calendar (Jan 31 becomes
    // Jan 30 in the 360-day calendar).
    g.day = std::min(g.day, days_in_month(s_.calendar, g.year, g.month));
    g.sod = floormod(secs, kDay);
    return Point{from_civil(s_.calendar, g, 0)};
}

Interval Cycling::parse_interval(std::string_view text) const {
    return parse_interval_impl(Piece{text, 0}.trimmed(), s_.mode);
}

std::string Cycling::format(const Interval& i) const {
    if (s_.mode == CyclingMode::integer) {
        return i.steps < 0 ? fmt::format("-P{}", -i.steps) : fmt::format("P{}", i.steps);
    }
    if (i.months == 0 && i.seconds == 0) return "P0Y";
    bool neg = i.months <= 0 && i.seconds <= 0;
    std::int64_t mo = neg ? -i.months : i.months;
    std::int64_t s = neg ? -i.seconds : i.seconds;
    std::string out = neg ? "-P" : "P";
    if (mo / 12) out += fmt::format("{}Y", mo / 12);
    if (mo % 12) out += fmt::format("{}M", mo % 12);
    if (s / kDay) out += fmt::format("{}D", s / kDay);
    s %= kDay;
    if (s != 0) {
        out += "T";
        if (s / 3600) out += fmt::format("{}H", s / 3600);
        if (s / 60 % 60) out += fmt::format("{}M", s / 60 % 60);
        if (s % 60) out += fmt::format("{}S", s % 60);
    }
    return out;
}

Point Cycling::add(Point p, const Interval& i) const {
    return Point{add_value(s_, p.value, i)};
}

// ---------------------------------------------------------------------------
// Recurrences.

namespace {

struct SeqParser {
    const CyclingSettings& st;
    std::int64_t initial;
    std::optional<std::int64_t> final;
    bool dt_mode() const { return st.mode == CyclingMode::datetime; }

    Interval interval(Piece p) const { return parse_interval_impl(p, st.mode); }

    // Resolves a start or end expression against its context point.
    Resolved resolve(Piece p, std::optional<std::int64_t> context, bool is_end) const {
        if (auto m = split_min(p, st.mode)) {
            // Every item in the same context; the earliest wins, truncation
            // (and so the implied interval) included, as in Cylc.
            std::optional<Resolved> best;
            for (const Piece& item : m->items) {
                Resolved r = resolve(item, context, is_end);
                if (!best || r.value < best->value) best = r;
            }
            for (const auto& [iv, _] : m->tail.offsets)
                best->value = add_value(st, best->value, iv);
            return *best;
        }
        Chain chain = split_chain(p, st.mode);
        Resolved r;
        std::string_view h = chain.head.s;
        auto need_final = [&](std::size_t off) -> std::int64_t {
            if (!final) {
                fail(off,
                     "this recurrence counts from the final cycle point, but there is none: "
                     "set a final cycle point or start from the initial point");
            }
            return *final;
        };
        if (h.empty()) {
            if (!context)
                r.value = is_end ? need_final(p.off) : initial;
            else
                r.value = *context;
        } else if (h == "^") {
            r.value = initial;
        } else if (h == "$") {
            r.value = need_final(chain.head.off);
        } else if (!dt_mode()) {
            r.value = parse_int_point(chain.head);
        } else {
            DateTime dt = parse_datetime_cylc(chain.head, st.calendar, true);
            if (dt.truncated) {
                std::int64_t c = context ? *context : need_final(chain.head.off);
                auto m = match_truncated(dt, st, c, true);
                if (!m) {
                    fail(chain.head.off, fmt::format("no date-time matches '{}'", show(h)));
                }
                r.value = *m;
                r.truncated = dt;
            } else {
                r.value = complete_value(dt, st);
            }
        }
        for (const auto& [iv, _] : chain.offsets) r.value = add_value(st, r.value, iv);
        return r;
    }

    // One recurrence (no list, no '!'), expanded against context points.
    RuleSpec recurrence(Piece p, std::int64_t ctx_start,
                        std::optional<std::int64_t> ctx_end) const {
        if (p.s.empty()) {
            fail(p.off,
                 "empty recurrence (expected e.g. " +
                     std::string(dt_mode() ? "T00, PT6H, R1, R/^/P1D)" : "P1, R1, R3/2/P2)"));
        }
        std::vector<Piece> parts;
        {
            std::size_t b = 0;
            for (std::size_t i = 0; i <= p.s.size(); ++i) {
                if (i == p.s.size() || p.s[i] == '/') {
                    parts.push_back(p.sub(b, i - b).trimmed());
                    b = i + 1;
                }
            }
        }
        auto kind = [](const Piece& x) {
            if (x.s.empty()) return 'E';
            if (x.s[0] == 'P') return 'I';
            if (x.s[0] == 'R') return 'R';
            return 'S';
        };
        const std::string example = dt_mode() ? "R/^/PT6H, R1/$, R3/T00/P1D, T00, PT6H"
                                              : "P1, R1, R3/2/P2, +P2/P3, R2/P2/$";
        auto bad_form = [&](std::size_t off, const std::string& what) {
            fail(off, fmt::format("'{}' is not a recurrence: {} (expected e.g. {})", show(p.s),
                                  what, example));
        };

        std::optional<std::int64_t> reps;
        bool has_r = kind(parts[0]) == 'R';
        if (has_r) {
            std::string_view d = parts[0].s.substr(1);
            if (!d.empty() && !all_digits(d))
                bad_form(parts[0].off + 1, "R must be followed by a count or '/'");
            if (d.size() > 9) bad_form(parts[0].off + 1, "repetition count too large");
            if (!d.empty()) {
                reps = num(d);
                if (*reps == 0) bad_form(parts[0].off + 1, "R0 gives no points (use R1 or more)");
            }
            parts.erase(parts.begin());
            if (parts.empty()) parts.push_back(Piece{std::string_view{}, p.off + p.s.size()});
        }
        // Trailing '/' as in "R1/" or "T00/PT6H/" is allowed by Cylc.
        if (parts.size() >= 2 && parts.back().s.empty()) parts.pop_back();
        if (parts.size() > 2) bad_form(parts[2].off, "too many '/' parts");
        std::string sig;
        for (const auto& x : parts) sig += kind(x);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (sig[i] == 'R') bad_form(parts[i].off, "'R' may only start a recurrence");
        }

        int format = 0;  // 1: start/end, 3: start + interval, 4: interval before end
        std::optional<Piece> s_txt, i_txt, e_txt;
        if (!has_r) {
            if (sig == "S")
                format = 3, s_txt = parts[0];
            else if (sig == "I")
                format = 3, i_txt = parts[0];
            else if (sig == "SI")
                format = 3, s_txt = parts[0], i_txt = parts[1];
            else if (sig == "IS")
                format = 4, i_txt = parts[0], e_txt = parts[1];
            else if (sig == "SS")
                bad_form(p.off, "two points need a repetition count, as in R3/start/end");
            else
                bad_form(p.off, "unrecognised form");
        } else {
            if (sig == "E") {
                if (reps != 1) bad_form(p.off, "give a start or an interval after R/");
                format = 3;
            } else if (sig == "S")
                format = 3, s_txt = parts[0];
            else if (sig == "SS")
                format = 1, s_txt = parts[0], e_txt = parts[1];
            else if (sig == "SI")
                format = 3, s_txt = parts[0], i_txt = parts[1];
            else if (sig == "EI")
                format = 3, i_txt = parts[1];
            else if (sig == "IS")
                format = 4, i_txt = parts[0], e_txt = parts[1];
            else if (sig == "I")
                format = 4, i_txt = parts[0];
            else if (sig == "ES")
                format = 4, e_txt = parts[1];
            else
                bad_form(p.off, "unrecognised form");
        }
        // Cylc's integer cycling reads "R/5" (a start, no interval, no
        // count) as the one point 5, like R1/5.
        if (has_r && !reps && sig == "S" && !dt_mode()) reps = 1;
        if (!has_r && sig == "S" && !dt_mode()) {
            bad_form(p.off, "integer cycling has no bare start point; write R1/" +
                                std::string(parts[0].s) + " for one point");
        }

        std::optional<Resolved> start, end;
        if (s_txt)
            start = resolve(*s_txt, ctx_start, false);
        else if (format == 1 || format == 3)
            start = Resolved{ctx_start, std::nullopt};
        if (e_txt)
            end = resolve(*e_txt, ctx_end, true);
        else if (format == 1 || format == 4) {
            if (!ctx_end) {
                fail(p.off, fmt::format("'{}' counts back from the final cycle point, but there is "
                                        "none: set a final cycle point",
                                        show(p.s)));
            }
            end = Resolved{*ctx_end, std::nullopt};
        }

        std::optional<Interval> step;
        std::size_t step_off = i_txt ? i_txt->off : p.off;
        if (i_txt) {
            step = interval(*i_txt);
        } else if (end && end->truncated) {
            step = truncation_interval(*end->truncated);
        } else if (start && start->truncated) {
            step = truncation_interval(*start->truncated);
        }
        if (step && is_negative(*step)) {
            fail(step_off, fmt::format("'{}': a recurrence interval cannot be negative (to count "
                                       "back from an end point write R3/P1D/$)",
                                       show(i_txt ? i_txt->s : p.s)));
        }

        RuleSpec spec;
        if (reps == 1) {
            spec.start = format == 4 ? end->value : start->value;
            return spec;
        }
        if (format == 1) {
            std::int64_t s = start->value, e = end->value;
            if (e < s) {
                fail(parts[1].off,
                     fmt::format("'{}': the second point is before the first", show(p.s)));
            }
            spec.start = s;
            if (e == s) return spec;
            if (dt_mode()) {
                // ISO 8601 format 1: the second point ends the first interval.
                spec.step = Interval{0, 0, e - s};
                spec.count = reps;
                if (reps)
                    spec.end = clamp_point(static_cast<__int128>(s) +
                                           static_cast<__int128>(e - s) * (*reps - 1));
            } else {
                // Integer cycling spreads the repetitions evenly from start to end.
                if (!reps) bad_form(p.off, "integer start/end needs a count, as in R3/1/5");
                if ((e - s) % (*reps - 1) != 0) {
                    fail(p.off, fmt::format("'{}': {} points cannot be evenly spaced from {} to {}",
                                            show(p.s), *reps, s, e));
                }
                spec.step = Interval{(e - s) / (*reps - 1), 0, 0};
                spec.count = reps;
                spec.end = e;
            }
            return spec;
        }
        if (!step) {
            std::string_view shown = s_txt ? s_txt->s : e_txt ? e_txt->s : p.s;
            fail(p.off,
                 fmt::format("'{}' gives a point but no interval: write R1/{} for that "
                             "one point, or {}/{} to repeat it",
                             show(p.s), show(shown), show(shown), dt_mode() ? "PT6H" : "P1"));
        }
        if (step->is_zero()) {  // isodatetime: a zero interval means one point
            spec.start = format == 4 ? end->value : start->value;
            return spec;
        }
        spec.step = *step;
        if (format == 3) {
            spec.start = start->value;
            spec.count = reps;
            if (reps) spec.end = add_scaled(st, start->value, *step, *reps - 1);
            return spec;
        }
        // format 4
        if (reps) {
            spec.start = add_scaled(st, end->value, -*step, *reps - 1);
            spec.end = end->value;
            spec.count = reps;
            return spec;
        }
        // Unbounded, counting back from the end: walk back to at or before the
        // start context, then count forward (Cylc reverses it the same way).
        std::int64_t e = end->value;
        std::int64_t exact = dt_mode() ? (step->months == 0 ? step->seconds : 0) : step->steps;
        if (exact > 0) {
            std::int64_t k = e > ctx_start ? (e - ctx_start + exact - 1) / exact : 0;
            spec.start = clamp_point(static_cast<__int128>(e) - static_cast<__int128>(k) * exact);
            spec.count = k + 1;
        } else {
            std::int64_t x = e, n = 1;
            while (x > ctx_start && x > -kPointLimit) {
                if (n > kMaxNominalSteps) {
                    fail(p.off, fmt::format("'{}': the end point is too far from the initial "
                                            "point for this interval",
                                            show(p.s)));
                }
                std::int64_t nx = add_value(st, x, -*step);
                if (nx >= x) break;
                x = nx;
                ++n;
            }
            spec.start = x;
            spec.count = n;
        }
        return spec;
    }

    // An exclusion: a point if it reads as one, otherwise a recurrence in the
    // context of the recurrence it excludes from.
    Rule exclusion(Piece e, const RuleSpec& main) const {
        bool point_like = false;
        std::int64_t v = 0;
        try {
            Chain chain = split_chain(e, st.mode);
            std::string_view h = chain.head.s;
            if (h == "^" || h == "$") {
                v = resolve(e, std::nullopt, h == "$").value;
                point_like = true;
            } else if (!h.empty()) {
                if (!dt_mode()) {
                    v = parse_int_point(chain.head);
                } else {
                    v = complete_value(parse_datetime(chain.head, st.calendar, false), st);
                }
                for (const auto& [iv, _] : chain.offsets) v = add_value(st, v, iv);
                point_like = true;
            }
        } catch (const ParseError&) {
            point_like = false;
        }
        if (point_like) {
            RuleSpec one;
            one.start = v;
            return make_rule(st, one, -kPointLimit, kPointLimit);
        }
        std::optional<std::int64_t> end = main.end ? main.end : final;
        RuleSpec spec = recurrence(e, main.start, end);
        return make_rule(st, spec, -kPointLimit, kPointLimit);
    }

    Rule item(Piece it) const {
        std::size_t bang = it.s.find('!');
        if (bang != std::string_view::npos && it.s.find('!', bang + 1) != std::string_view::npos) {
            fail(it.off + it.s.find('!', bang + 1),
                 "only one '!' is allowed; list several exclusions as PT6H!(T00,T12)");
        }
        Piece main = it.sub(0, bang).trimmed();
        RuleSpec spec = recurrence(main, initial, final);
        Rule r = make_rule(st, spec, initial, final.value_or(kPointLimit));
        if (bang == std::string_view::npos) return r;
        Piece ex = it.sub(bang + 1).trimmed();
        if (ex.s.empty()) {
            fail(ex.off, "nothing after '!': name the excluded points, as in PT6H!T00");
        }
        std::vector<Piece> items;
        if (ex.s.front() == '(') {
            if (ex.s.back() != ')') {
                fail(ex.off + ex.s.size(), "the exclusion list must end with ')'");
            }
            Piece inner = ex.sub(1, ex.s.size() - 2);
            if (inner.s.find_first_of("()") != std::string_view::npos) {
                fail(inner.off + inner.s.find_first_of("()"),
                     "exclusion lists cannot be nested; write PT6H!(T00,T12)");
            }
            for (Piece x : split_top(inner, ',')) items.push_back(x.trimmed());
        } else {
            if (ex.s.find_first_of("()") != std::string_view::npos) {
                fail(ex.off + ex.s.find_first_of("()"),
                     "parentheses must enclose the whole exclusion list, as in PT6H!(T00,T12)");
            }
            items.push_back(ex);
        }
        for (const Piece& x : items) {
            if (x.s.empty()) fail(x.off, "empty exclusion: remove the extra comma");
            r.excl.push_back(exclusion(x, spec));
        }
        return r;
    }
};

}  // namespace

Sequence Cycling::parse_sequence(std::string_view text, Point initial,
                                 std::optional<Point> final) const {
    Sequence seq;
    seq.text_ = std::string(text);
    SeqParser sp{s_, initial.value, final ? std::optional(final->value) : std::nullopt};
    Piece whole = Piece{text, 0}.trimmed();
    if (whole.s.empty()) {
        fail(0, s_.mode == CyclingMode::datetime
                    ? "empty recurrence (expected e.g. T00, PT6H, R1, R/^/P1D)"
                    : "empty recurrence (expected e.g. P1, R1, R3/2/P2)");
    }
    for (Piece it : split_top(whole, ',')) {
        it = it.trimmed();
        if (it.s.empty()) fail(it.off, "empty item in the recurrence list: remove the extra comma");
        seq.include_.push_back(std::make_shared<const Sequence::Rule>(Sequence::Rule(sp.item(it))));
    }
    return seq;
}

}  // namespace tock::config
