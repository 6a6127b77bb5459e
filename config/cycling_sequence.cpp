// Recurrences: rules (one recurrence, bounded, with its own exclusions), the
// Sequence a graph section cycles on, and the parser of every recurrence form
// Cylc accepts (Cycling::parse_sequence).
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>

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
// Recurrences.

namespace {

// An expression resolved to a value: absolute, truncated-against-context,
// "^", "$", or "" (the context), plus chained offsets.
struct Resolved {
    std::int64_t value = 0;
    std::optional<DateTime> truncated;  // set when the head was truncated
};

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
