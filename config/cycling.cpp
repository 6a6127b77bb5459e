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

bool is_negative(const Interval& i) {
    return i.steps < 0 || i.months < 0 || i.seconds < 0;
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
