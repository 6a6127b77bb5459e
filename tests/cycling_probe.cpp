// A line-oriented front end to config/cycling for differential testing
// against metomi-isodatetime (tests/isodatetime_diff.py). One query per input
// line, one answer per output line; "error" when tock throws ParseError.
//
// Queries (fields separated by single spaces; <cal> is gregorian, 360day,
// 365day or 366day; <tz> is the workflow's UTC offset in minutes):
//   point <cal> <tz> <text>            -> the point, written by Cycling::format
//   dur <text>                         -> "<months> <seconds>"
//   add <cal> <point> <interval>       -> point + interval
//   sub <cal> <point> <interval>       -> point - interval
//   seq <cal> <initial> <recurrence> <count>
//        -> the first <count> points of the recurrence (no final point),
//           space-separated; "" when it has none
//   seqf <cal> <initial> <final> <recurrence> <count>   -> the same, bounded
//   expr <cal> <base> <now> <text>     -> Cycling::parse_point_expr
//   fmt <cal> <tz> <format> <text>     -> the point written with cycle_point_format
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "config/cycling.hpp"

using namespace tock::config;

namespace {

Calendar calendar(const std::string& name) {
    if (name == "360day") return Calendar::d360;
    if (name == "365day") return Calendar::d365;
    if (name == "366day") return Calendar::d366;
    return Calendar::gregorian;
}

Cycling datetime(const std::string& cal, int tz = 0) {
    return Cycling(CyclingSettings{CyclingMode::datetime, calendar(cal), tz, {}});
}

std::string join(const Cycling& c, const std::vector<Point>& pts) {
    std::string out;
    for (const Point& p : pts) {
        if (!out.empty()) out += ' ';
        out += c.format(p);
    }
    return out;
}

std::string answer(const std::string& line) {
    std::istringstream in(line);
    std::string op;
    in >> op;
    if (op == "fmt") {
        std::string cal, format, text;
        int tz = 0;
        in >> cal >> tz >> format >> text;
        std::string why;
        CyclingSettings s{CyclingMode::datetime, calendar(cal), tz, {}};
        s.point_format = Cycling::point_template(format, why);
        if (!why.empty()) return "error";
        Cycling c(s);
        return c.format(c.parse_point(text));
    }
    if (op == "point") {
        std::string cal, text;
        int tz = 0;
        in >> cal >> tz >> text;
        Cycling c = datetime(cal, tz);
        return c.format(c.parse_point(text));
    }
    if (op == "dur") {
        std::string text;
        in >> text;
        Interval i = datetime("gregorian").parse_interval(text);
        return std::to_string(i.months) + " " + std::to_string(i.seconds);
    }
    if (op == "add" || op == "sub") {
        std::string cal, p, i;
        in >> cal >> p >> i;
        Cycling c = datetime(cal);
        Interval iv = c.parse_interval(i);
        return c.format(c.add(c.parse_point(p), op == "add" ? iv : -iv));
    }
    if (op == "seq" || op == "seqf") {
        std::string cal, initial, final, rec;
        std::size_t count = 0;
        in >> cal >> initial;
        if (op == "seqf") in >> final;
        in >> rec >> count;
        Cycling c = datetime(cal);
        std::optional<Point> fin;
        if (!final.empty()) fin = c.parse_point(final);
        Sequence s = c.parse_sequence(rec, c.parse_point(initial), fin);
        std::vector<Point> pts;
        auto x = s.first_at_or_after(c.parse_point(initial));
        while (x && pts.size() < count) {
            pts.push_back(*x);
            x = s.next_after(*x);
        }
        return join(c, pts);
    }
    if (op == "expr") {
        std::string cal, base, now, text;
        in >> cal >> base >> now >> text;
        Cycling c = datetime(cal);
        return c.format(c.parse_point_expr(text, c.parse_point(base), c.parse_point(now)));
    }
    return "unknown query";
}

}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        try {
            std::cout << answer(line) << '\n';
        } catch (const ParseError&) {
            std::cout << "error\n";
        }
    }
    return 0;
}
