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
//
// The work is spread by purpose: cycling_calendar.cpp (calendars and their
// arithmetic), cycling_iso8601.cpp (ISO 8601 text: date-times, durations,
// offsets), cycling_sequence.cpp (recurrences); cycling_detail.hpp declares
// what they share. This file has Cycling's points, intervals and offsets.
#include "config/cycling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "config/cycling_detail.hpp"

namespace tock::config {

using namespace cycling_detail;

// ---------------------------------------------------------------------------
// Cycling.

Cycling::Cycling(CyclingSettings s) : s_(s) {}

Point Cycling::parse_point(std::string_view text) const {
    Piece p = Piece{text, 0}.trimmed();
    if (s_.mode == CyclingMode::integer) return Point{parse_int_point(p)};
    DateTime dt = parse_datetime(p, s_.calendar, false);
    return Point{complete_value(dt, s_)};
}

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

}  // namespace tock::config
