// Cycle points, intervals and recurrences: integer and ISO 8601 date-time.
//
// One Cycling object holds the workflow's cycling settings (mode, calendar,
// time zone, initial and final points) and does every computation on points,
// so the rest of tock never looks inside a Point.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/error.hpp"

namespace tock::config {

enum class CyclingMode { integer, datetime };
enum class Calendar { gregorian, d360, d365, d366 };

// A cycle point. integer mode: the integer. datetime mode: seconds since
// 0001-01-01T00:00:00Z counted in the workflow's calendar (so the same
// arithmetic serves every calendar).
struct Point {
    std::int64_t value = 0;
    auto operator<=>(const Point&) const = default;
};

// An interval. integer mode: `steps` only (P3 -> 3, -P1 -> -1). datetime mode:
// nominal years/months (calendar-dependent) plus exact seconds (weeks, days,
// hours, minutes, seconds; a day is 86400 s: tock works in UTC offsets, never
// in daylight-saving zones). Negative for intervals like -PT6H.
struct Interval {
    std::int64_t steps = 0;
    std::int64_t months = 0;  // years * 12 + months
    std::int64_t seconds = 0;
    bool is_zero() const { return steps == 0 && months == 0 && seconds == 0; }
    Interval operator-() const { return {-steps, -months, -seconds}; }
    bool operator==(const Interval&) const = default;
};

class Cycling;

// A recurrence expanded against the workflow's initial and final points:
// the ordered set of points it yields. Exclusions ("P1!3", "PT6H!(T00,T12)")
// are applied. Stateless after construction; cheap to copy.
class Sequence {
  public:
    // The first point >= p (nullopt if none).
    std::optional<Point> first_at_or_after(Point p) const;
    // The point after p in this sequence, p need not be on it (nullopt: none).
    std::optional<Point> next_after(Point p) const;
    // The last point < p (nullopt if none).
    std::optional<Point> prev_before(Point p) const;
    bool contains(Point p) const;
    // Every point in [from, to], in order, at most `limit` of them.
    std::vector<Point> points(Point from, Point to, std::size_t limit = 1'000'000) const;
    const std::string& text() const { return text_; }
    // Leave out the point p, or every point of `other`, as the sequence's
    // own exclusions ("T00!20260101T00Z") do: scheduling.exclusions.
    void exclude(Point p);
    void exclude(const Sequence& other);

  private:
    friend class Cycling;
    struct Rule;  // defined in cycling_sequence.cpp
    std::string text_;
    std::vector<std::shared_ptr<const Rule>> include_;  // union of rules (T06,T18 gives two)
    std::vector<std::shared_ptr<const Rule>> exclude_;
};

struct CyclingSettings {
    CyclingMode mode = CyclingMode::integer;
    Calendar calendar = Calendar::gregorian;
    int utc_offset_minutes = 0;  // time zone used to write points and to read points without one
    // How points are written (scheduler.cycle_point_format), as an ISO 8601
    // template from point_template(); "" = Cylc's default, CCYYMMDDThhmmZ.
    std::string point_format;
};

class Cycling {
  public:
    explicit Cycling(CyclingSettings s);
    const CyclingSettings& settings() const { return s_; }

    // Points. datetime: any ISO 8601 form Cylc accepts (2026-01-01T00Z,
    // 20260101T0000Z, 2026-01-01, +01:00 zones, ...). Throws ParseError.
    Point parse_point(std::string_view text) const;
    // Cylc's point expressions for initial/final/stop points: an absolute
    // point, "now" (datetime; `now` is given), "next(T00)", "previous(T06)",
    // "+P2D" (relative to `base`), truncated forms like "T00" (the next at or
    // after `base`) and absolute-plus-offset forms like "2026-01-01T00Z+PT6H".
    Point parse_point_expr(std::string_view text, std::optional<Point> base, Point now) const;
    // integer: "1". datetime: Cylc's default format CCYYMMDDThhmmZ (or +hhmm
    // with a non-UTC offset), e.g. 20260101T0000Z.
    std::string format(Point p) const;
    // Cylc's cycle_point_format, an ISO 8601 template (CCYY-MM-DDThhZ,
    // CCYYMMDDThhmm+hhmm) or its strftime form (%Y-%m-%dT%HZ, %z), as the
    // ISO template format() writes with. "" and `why` for a format tock
    // cannot use: other fields or characters, ':' (it separates a task from
    // its state in task ids), both Z and an offset.
    static std::string point_template(std::string_view format, std::string& why);
    // The current time as a point (datetime mode; integer: 0).
    Point now() const;

    // Intervals: integer "P3", "-P1"; datetime "PT6H", "P1D", "P1M", "P1Y",
    // "P1W", "-PT30M", "P1DT12H". Throws ParseError.
    Interval parse_interval(std::string_view text) const;
    std::string format(const Interval& i) const;
    // p + i, with month-end clamping for nominal months (Jan 31 + P1M = Feb 28).
    Point add(Point p, const Interval& i) const;

    // Graph trigger offsets, the text inside foo[...]. Relative: intervals
    // applied in order to the downstream task's point ([-P1], [+P1],
    // [-P1D+PT18H]). Absolute: a point, then intervals, the same for every
    // downstream point ([^], [$], [^+P1D-PT6H], [2], [20100101T0600Z],
    // [min(T00,T06)], [20T-P2W], whose truncated point is the first match at
    // or after the initial point). Throws ParseError naming the form.
    static bool offset_is_absolute(std::string_view off);
    Point offset_point(std::string_view off, Point downstream, Point initial,
                       std::optional<Point> final) const;
    // A relative offset that is one interval ([-P1], [+PT6H]) as that
    // interval; nullopt for the others.
    std::optional<Interval> offset_interval(std::string_view off) const;
    // The downstream point whose relative offset `off` names `upstream`
    // (nullopt: none, or `off` is absolute).
    std::optional<Point> offset_downstream(std::string_view off, Point upstream) const;

    // A graph-section recurrence, expanded against `initial` and `final`
    // (final may be absent: unbounded). Every form Cylc accepts:
    // integer: P1, R1, +P2/P3, R3/2/P2, R/+P1/P2, R2/P2/$ (ending), P1!3 ...
    // datetime: T00, T06,T18 (a list), PT6H, R1, R1/$, R1/^+PT12H,
    // +PT6H/PT12H, R/2026-01-01T00Z/P1D, R1/-PT6H, W-1T00, 01T00, P1M, ...
    // (a bare offset such as -PT6H is rejected, as Cylc rejects it).
    // Throws ParseError with the offset of the bad token.
    Sequence parse_sequence(std::string_view text, Point initial, std::optional<Point> final) const;

  private:
    CyclingSettings s_;
};

}  // namespace tock::config
