// The loader's top-level sections: the order of the passes (run), the
// scheduler settings, scheduling (cycling, points, exclusions, runahead),
// xtriggers, vars, queues and special tasks.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <functional>
#include <map>
#include <set>

#include "config/loader.hpp"
#include "config/placement.hpp"
#include "config/xtrigger_args.hpp"

namespace tock::config::detail {

namespace {

const std::vector<std::string> kTopKeys = {"name",       "meta",     "vars",       "scheduler",
                                           "parameters", "runtime",  "scheduling", "platforms",
                                           "plugins",    "placement"};
const std::vector<std::string> kSchedulerKeys = {
    "utc_mode", "cycle_point_format", "cycle_point_time_zone", "allow_implicit_tasks", "events"};
const std::vector<std::string> kWorkflowEventKeys = {"stall_timeout",
                                                     "abort_on_stall_timeout",
                                                     "inactivity_timeout",
                                                     "abort_on_inactivity_timeout",
                                                     "workflow_timeout",
                                                     "abort_on_workflow_timeout",
                                                     "handlers"};
const std::vector<std::string> kWorkflowHandlerEvents = {
    "startup",       "shutdown",           "stall",           "abort",
    "stall_timeout", "inactivity_timeout", "workflow_timeout"};
const std::vector<std::string> kSchedulingKeys = {
    "cycling",    "calendar", "initial", "final",     "stop",          "hold_after",
    "exclusions", "runahead", "queues",  "xtriggers", "special_tasks", "graph"};
const std::vector<std::string> kWorkflowHandlerTemplates = {"event", "workflow", "message",
                                                            "workflow_run_dir"};
const std::vector<std::string> kTemplates = {
    "point", "name", "workflow", "id", "user_name", "workflow_run_dir", "workflow_share_dir",
    "debug"};

}  // namespace

void Loader::run() {
    YAML::Node top;
    try {
        top = YAML::Load(text_);
    } catch (const YAML::ParserException& e) {
        r_.error(r_.loc(e.mark), "not valid YAML: " + e.msg);
        throw ConfigErrors(errs_);
    }
    if (!top.IsMap()) {
        r_.error(Location{r_.file(), 1, 1},
                 "a workflow file is a YAML mapping with keys scheduling, runtime, ...");
        throw ConfigErrors(errs_);
    }
    r_.keys(top, "the workflow file", kTopKeys);
    variables(top);
    // Without every variable's value the rest reads as nonsense.
    if (!errs_.empty()) throw ConfigErrors(errs_);
    if (auto n = r_.str(r_.get(top, "name"), "name")) wf_.name = *n;
    scheduler(r_.get(top, "scheduler"));
    const YAML::Node sched = r_.get(top, "scheduling");
    if (!sched.IsDefined() || sched.IsNull()) {
        r_.error(r_.loc(top), "missing 'scheduling': a workflow needs at least scheduling.graph");
        throw ConfigErrors(errs_);
    }
    plugins(r_.get(top, "plugins"));
    placement(r_.get(top, "placement"));
    scheduling(sched);
    platforms(r_.get(top, "platforms"));
    parameters(r_.get(top, "parameters"));
    runtime(r_.get(top, "runtime"));
    graph(r_.get(sched, "graph"));
    check_platforms();
    queues(r_.get(sched, "queues"));
    special_tasks(r_.get(sched, "special_tasks"));
    for (auto& [task, values] : param_values_) {
        if (auto it = wf_.runtime.find(task); it != wf_.runtime.end())
            it->second.parameters = values;
    }
    if (errs_.empty()) check_point_format();
    if (errs_.empty()) check_cycles_and_offsets();
    if (!errs_.empty()) {
        std::stable_sort(errs_.begin(), errs_.end(), [](const Diagnostic& a, const Diagnostic& b) {
            return std::pair(a.where.line, a.where.col) < std::pair(b.where.line, b.where.col);
        });
        // A node named in two dependencies ("a => b => c") is checked twice.
        errs_.erase(std::unique(errs_.begin(), errs_.end(),
                                [](const Diagnostic& a, const Diagnostic& b) {
                                    return a.where.line == b.where.line &&
                                           a.where.col == b.where.col && a.message == b.message;
                                }),
                    errs_.end());
        throw ConfigErrors(errs_);
    }
}

void Loader::scheduler(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!r_.keys(n, "scheduler", kSchedulerKeys)) return;
    if (auto b = r_.boolean(r_.get(n, "utc_mode"), "scheduler.utc_mode")) wf_.utc_mode = *b;
    if (!wf_.utc_mode) {
        // Cylc's utc mode = False: points in this machine's zone, unless
        // cycle_point_time_zone says otherwise (read below).
        const std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        settings_.utc_offset_minutes = static_cast<int>(local.tm_gmtoff / 60);
    }
    if (auto b = r_.boolean(r_.get(n, "allow_implicit_tasks"), "scheduler.allow_implicit_tasks")) {
        wf_.allow_implicit_tasks = *b;
    }
    point_format_node_ = r_.get(n, "cycle_point_format");
    if (auto s = r_.str(point_format_node_, "scheduler.cycle_point_format")) {
        wf_.cycle_point_format = *s;
        std::string why;
        settings_.point_format = Cycling::point_template(*s, why);
        if (!why.empty())
            r_.error(point_format_node_, fmt::format("cycle_point_format '{}': {}", *s, why));
    }
    const YAML::Node tz = r_.get(n, "cycle_point_time_zone");
    if (auto s = r_.str(tz, "scheduler.cycle_point_time_zone")) {
        wf_.cycle_point_time_zone = *s;
        if (auto off = parse_zone(*s)) {
            settings_.utc_offset_minutes = *off;
        } else {
            r_.error(tz, fmt::format("cycle_point_time_zone '{}' is not a UTC offset: write Z, "
                                     "+01:00, -0530 or similar",
                                     *s));
        }
    }
    const YAML::Node ev = r_.get(n, "events");
    if (ev.IsDefined() && !ev.IsNull() && r_.keys(ev, "scheduler.events", kWorkflowEventKeys)) {
        auto& e = wf_.events;
        e.stall_timeout = exact_interval(r_.get(ev, "stall_timeout"));
        e.inactivity_timeout = exact_interval(r_.get(ev, "inactivity_timeout"));
        e.workflow_timeout = exact_interval(r_.get(ev, "workflow_timeout"));
        if (auto b = r_.boolean(r_.get(ev, "abort_on_stall_timeout"), "abort_on_stall_timeout")) {
            e.abort_on_stall_timeout = *b;
        }
        if (auto b = r_.boolean(r_.get(ev, "abort_on_inactivity_timeout"),
                                "abort_on_inactivity_timeout")) {
            e.abort_on_inactivity_timeout = *b;
        }
        if (auto b =
                r_.boolean(r_.get(ev, "abort_on_workflow_timeout"), "abort_on_workflow_timeout")) {
            e.abort_on_workflow_timeout = *b;
        }
        const YAML::Node h = r_.get(ev, "handlers");
        if (h.IsDefined() && !h.IsNull() &&
            r_.keys(h, "scheduler.events.handlers", kWorkflowHandlerEvents)) {
            for (const auto& kv : h) {
                e.handlers[norm_key(kv.first.Scalar())] =
                    handlers(kv.second, "a workflow event handler", kWorkflowHandlerTemplates);
            }
        }
    }
}

std::optional<int> Loader::parse_zone(const std::string& s) {
    if (s == "Z" || s == "UTC" || s == "+00" || s == "+0000" || s == "+00:00") return 0;
    if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
    std::string digits;
    for (char c : s.substr(1)) {
        if (c == ':') continue;
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        digits += c;
    }
    if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
    const int h = std::stoi(digits.substr(0, 2));
    const int m = digits.size() == 4 ? std::stoi(digits.substr(2, 2)) : 0;
    if (h > 23 || m > 59) return std::nullopt;
    return (s[0] == '-' ? -1 : 1) * (h * 60 + m);
}

std::optional<Interval> Loader::interval(const YAML::Node& n, const Cycling& c,
                                         const char* example) {
    auto s = r_.str(n, "a duration");
    if (!s) return std::nullopt;
    try {
        return c.parse_interval(*s);
    } catch (const ParseError& e) {
        (void)example;
        r_.error(r_.inside(n, e.offset), e.what());
        return std::nullopt;
    }
}

void Loader::scheduling(const YAML::Node& n) {
    r_.keys(n, "scheduling", kSchedulingKeys);
    const YAML::Node mode = r_.get(n, "cycling");
    if (auto m = r_.str(mode, "scheduling.cycling")) {
        if (*m == "integer") {
            settings_.mode = CyclingMode::integer;
        } else if (*m == "datetime") {
            settings_.mode = CyclingMode::datetime;
        } else {
            r_.error(mode, fmt::format("scheduling.cycling is 'integer' or 'datetime', not '{}'{}",
                                       *m, did_you_mean(*m, {"integer", "datetime"})));
        }
    } else {
        // Cylc's default: date-time cycling when the initial point is one.
        const auto init = r_.get(n, "initial");
        const std::string s = init.IsScalar() ? init.Scalar() : "";
        const bool integer_like =
            s.empty() || (s.size() < 4 && std::all_of(s.begin(), s.end(), [](char c) {
                              return std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
                                     c == '+';
                          }));
        settings_.mode = integer_like ? CyclingMode::integer : CyclingMode::datetime;
    }
    const YAML::Node cal = r_.get(n, "calendar");
    if (auto c = r_.str(cal, "scheduling.calendar")) {
        static const std::map<std::string, Calendar> names = {
            {"gregorian", Calendar::gregorian}, {"360day", Calendar::d360},
            {"365day", Calendar::d365},         {"366day", Calendar::d366},
            {"360_day", Calendar::d360},        {"365_day", Calendar::d365},
            {"366_day", Calendar::d366}};
        if (auto it = names.find(*c); it != names.end()) {
            settings_.calendar = it->second;
        } else {
            r_.error(cal, fmt::format(
                              "unknown calendar '{}': use gregorian, 360day, 365day or 366day{}",
                              *c, did_you_mean(*c, {"gregorian", "360day", "365day", "366day"})));
        }
        if (settings_.mode == CyclingMode::integer) {
            r_.error(cal, "a calendar only applies to date-time cycling: set cycling: datetime");
        }
    }
    if (!settings_.point_format.empty() && settings_.mode == CyclingMode::integer) {
        r_.error(point_format_node_,
                 "cycle_point_format only applies to date-time cycling: "
                 "set cycling: datetime, or remove it");
        settings_.point_format.clear();
    }
    wf_.cycling = Cycling(settings_);
    const Cycling& cy = wf_.cycling;
    const Point now = cy.now();

    const YAML::Node init = r_.get(n, "initial");
    if (ov_.initial) {
        try {
            wf_.initial = cy.parse_point_expr(*ov_.initial, std::nullopt, now);
            have_initial_ = true;
        } catch (const ParseError& e) {
            r_.error(Location{"--initial-cycle"}, fmt::format("initial point: {}", e.what()));
        }
    } else if (auto s = r_.str(init, "scheduling.initial")) {
        try {
            wf_.initial = cy.parse_point_expr(*s, std::nullopt, now);
            have_initial_ = true;
        } catch (const ParseError& e) {
            r_.error(r_.inside(init, e.offset), fmt::format("initial point: {}", e.what()));
        }
    } else if (settings_.mode == CyclingMode::integer) {
        wf_.initial = Point{1};
        have_initial_ = true;
    } else {
        r_.error(n, "date-time cycling needs scheduling.initial, e.g. initial: 2026-01-01T00Z");
    }
    auto point_setting = [&](const char* key) -> std::optional<Point> {
        struct Override {
            const char* key;
            const char* option;
            const std::optional<std::string>* text;
        };
        const Override overridden[] = {{"final", "--final-cycle", &ov_.final},
                                       {"stop", "--stop-after", &ov_.stop},
                                       {"hold_after", "--hold-after", &ov_.hold_after}};
        for (const auto& [k, option, text] : overridden) {
            if (k != std::string_view(key) || !*text || !have_initial_) continue;
            try {
                return cy.parse_point_expr(**text, wf_.initial, now);
            } catch (const ParseError& e) {
                r_.error(Location{option}, fmt::format("{} point: {}", key, e.what()));
                return std::nullopt;
            }
        }
        const YAML::Node v = r_.get(n, key);
        auto s = r_.str(v, std::string("scheduling.") + key);
        if (!s || !have_initial_) return std::nullopt;
        try {
            return cy.parse_point_expr(*s, wf_.initial, now);
        } catch (const ParseError& e) {
            r_.error(r_.inside(v, e.offset), fmt::format("{} point: {}", key, e.what()));
            return std::nullopt;
        }
    };
    wf_.final = point_setting("final");
    wf_.stop = point_setting("stop");
    wf_.hold_after = point_setting("hold_after");
    if (wf_.final && have_initial_ && *wf_.final < wf_.initial) {
        r_.error(ov_.final || ov_.initial ? Location{"command line"} : r_.loc(r_.get(n, "final")),
                 fmt::format("the final point {} is before the initial point {}",
                             cy.format(*wf_.final), cy.format(wf_.initial)));
    }
    for (auto& item : r_.items(r_.get(n, "exclusions"), "scheduling.exclusions")) {
        wf_.exclusions.push_back(item.text);
        exclusion_nodes_.push_back(item.node);
    }
    if (have_initial_) exclusions();
    const YAML::Node ra = r_.get(n, "runahead");
    if (auto s = r_.str(ra, "scheduling.runahead")) {
        // P4 means four cycles in either mode; a datetime duration is a span.
        const bool cycles =
            s->size() > 1 && (*s)[0] == 'P' && std::all_of(s->begin() + 1, s->end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c));
            });
        try {
            wf_.runahead =
                cycles ? Interval{std::stoll(s->substr(1)), 0, 0} : cy.parse_interval(*s);
        } catch (const ParseError& e) {
            r_.error(
                r_.inside(ra, e.offset),
                fmt::format("runahead (a number of cycles like P4, or a duration): {}", e.what()));
        } catch (const std::exception&) {
            r_.error(ra, "runahead: too large");
        }
    }
    xtriggers(r_.get(n, "xtriggers"));
}

void Loader::xtriggers(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsMap()) {
        r_.error(n,
                 "scheduling.xtriggers maps labels to calls, e.g. clock: wall_clock(offset=PT1H)");
        return;
    }
    std::set<std::string> seen;
    for (const auto& kv : n) {
        XTrigger x;
        x.label = kv.first.Scalar();
        if (!seen.insert(x.label).second) {
            r_.error(kv.first, fmt::format("xtrigger '{}' is defined twice: keep one", x.label));
            continue;
        }
        x.where = r_.loc(kv.first);
        if (!valid_name(x.label)) {
            r_.error(kv.first, fmt::format("'{}' is not a valid xtrigger label: use letters, "
                                           "digits and _",
                                           x.label));
        }
        auto s = r_.str(kv.second, "an xtrigger");
        if (!s) continue;
        parse_xtrigger(*s, kv.second, x);
        if (x.function == "wall_clock") {
            // The offset is used as a duration when the trigger is armed.
            std::string offset = x.args.empty() ? "" : x.args[0];
            for (const auto& [k, v] : x.kwargs) {
                if (k == "offset") offset = v;
            }
            if (!offset.empty()) {
                try {
                    (void)wf_.cycling.parse_interval(offset);
                } catch (const ParseError& e) {
                    r_.error(kv.second,
                             fmt::format("wall_clock offset '{}': {}", offset, e.what()));
                }
            }
        }
        if (!x.function.empty() && !builtin_xtrigger(x.function)) check_plugin(x, kv.second);
        for (auto& problem : builtin_xtrigger_problems(x.function, x.args, x.kwargs))
            r_.error(kv.second, std::move(problem));
        wf_.xtriggers[x.label] = std::move(x);
    }
}

void Loader::plugins(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!r_.keys(n, "plugins", {"path", "heartbeat"})) return;
    const YAML::Node path = r_.get(n, "path");
    if (path.IsDefined() && !path.IsNull()) {
        if (!path.IsSequence()) {
            r_.error(path, "plugins.path is a list of directories");
        } else {
            for (const auto& d : path) {
                if (auto s = r_.str(d, "a plugins.path directory")) wf_.plugins.path.push_back(*s);
            }
        }
    }
    const YAML::Node hb = r_.get(n, "heartbeat");
    wf_.plugins.heartbeat = exact_interval(hb);
    if (wf_.plugins.heartbeat && wf_.plugins.heartbeat->months == 0 &&
        wf_.plugins.heartbeat->seconds < 1) {
        r_.error(hb, "plugins.heartbeat must be at least PT1S");
    }
}

void Loader::placement(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsMap()) {
        r_.error(n,
                 "placement is a mapping of components to inproc, thread, process or "
                 "tcp://HOST:PORT");
        return;
    }
    for (const auto& kv : n) {
        const auto key = r_.str(kv.first, "a component");
        const auto where = r_.str(kv.second, "a placement");
        if (!key || !where) continue;
        if (*key == "host") {
            wf_.placement_host = *where;
            continue;
        }
        if (std::string problem = place_problem(*key, *where); !problem.empty()) {
            r_.error(kv.second, "placement." + *key + ": " + problem);
            continue;
        }
        wf_.placement.emplace_back(*key, *where);
    }
}

void Loader::check_plugin(const XTrigger& x, const YAML::Node& node) {
    const auto dot = x.function.find('.');
    const std::string plugin = x.function.substr(0, dot);
    std::vector<std::string> dirs = wf_.plugin_dirs();
    if (const char* path = std::getenv("PATH")) {
        for (std::string_view rest = path; !rest.empty();) {
            const auto colon = rest.find(':');
            dirs.emplace_back(rest.substr(0, colon));
            rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        }
    }
    const std::string program = "tock-trigger-" + plugin;
    for (const auto& d : dirs) {
        const std::string candidate = (d.empty() ? std::string(".") : d) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) return;
    }
    r_.error(node, fmt::format("xtrigger '{}' calls '{}', which is not built in ({}), and no "
                               "plugin program {} is in the workflow's bin/, plugins.path or PATH "
                               "(docs/plugins.md)",
                               x.label, x.function, join(builtin_xtriggers(), ", "), program));
}

// function(arg, key=value, ...)[:INTERVAL]
void Loader::parse_xtrigger(const std::string& s, const YAML::Node& node, XTrigger& x) {
    const auto open = s.find('(');
    const auto close = s.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) {
        r_.error(node, fmt::format("xtrigger '{}' must be a call like wall_clock(offset=PT1H)", s));
        return;
    }
    x.function = s.substr(0, open);
    x.function.erase(x.function.find_last_not_of(" ") + 1);
    // A plugin's function may be named with its plugin: NAME.function.
    const auto dot = x.function.find('.');
    if (!valid_name(x.function.substr(0, dot)) ||
        (dot != std::string::npos && !valid_name(x.function.substr(dot + 1)))) {
        r_.error(r_.inside(node, 0), fmt::format("'{}' is not a function name", x.function));
    }
    // Split arguments at top-level commas, honouring quotes.
    std::vector<std::pair<std::string, std::size_t>> args;
    std::string cur;
    std::size_t cur_start = open + 1;
    char quote = 0;
    for (std::size_t i = open + 1; i < close; ++i) {
        const char c = s[i];
        if (quote) {
            if (c == quote) quote = 0;
            cur += c;
        } else if (c == '"' || c == '\'') {
            quote = c;
            cur += c;
        } else if (c == ',') {
            args.emplace_back(cur, cur_start);
            cur.clear();
            cur_start = i + 1;
        } else {
            cur += c;
        }
    }
    if (quote) {
        r_.error(r_.inside(node, cur_start), "unterminated quote in xtrigger arguments");
        return;
    }
    if (!cur.empty() || !args.empty()) args.emplace_back(cur, cur_start);
    for (auto& [a, at] : args) {
        std::string t = a;
        t.erase(0, t.find_first_not_of(" "));
        t.erase(t.find_last_not_of(" ") + 1);
        if (t.empty()) {
            r_.error(r_.inside(node, at), "empty argument in xtrigger call");
            continue;
        }
        check_templates(t, node, at);
        const auto eq = t.find('=');
        if (eq != std::string::npos && t.find_first_of("\"'") > eq) {
            std::string k = t.substr(0, eq), v = t.substr(eq + 1);
            k.erase(k.find_last_not_of(" ") + 1);
            v.erase(0, v.find_first_not_of(" "));
            x.kwargs.emplace_back(k, unquote(v));
        } else {
            x.args.push_back(unquote(t));
        }
    }
    std::string rest = s.substr(close + 1);
    rest.erase(0, rest.find_first_not_of(" "));
    if (!rest.empty()) {
        if (rest[0] != ':') {
            r_.error(
                r_.inside(node, close + 1),
                fmt::format("unexpected '{}' after the xtrigger call: only :INTERVAL may follow",
                            rest));
            return;
        }
        Cycling dt(CyclingSettings{CyclingMode::datetime, Calendar::gregorian, 0, {}});
        try {
            x.interval = dt.parse_interval(rest.substr(1));
        } catch (const ParseError& e) {
            r_.error(r_.inside(node, s.find(':', close) + 1 + e.offset),
                     fmt::format("xtrigger call interval: {}", e.what()));
        }
    }
}

std::string Loader::unquote(std::string v) {
    if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'') && v.back() == v[0]) {
        return v.substr(1, v.size() - 2);
    }
    return v;
}

void Loader::check_templates(const std::string& t, const YAML::Node& node, std::size_t base) {
    for (std::size_t i = t.find("%("); i != std::string::npos; i = t.find("%(", i + 2)) {
        const auto end = t.find(")s", i);
        if (end == std::string::npos) {
            r_.error(r_.inside(node, base), fmt::format("unterminated template in '{}': write "
                                                        "%(point)s",
                                                        t));
            return;
        }
        const std::string name = t.substr(i + 2, end - i - 2);
        if (std::find(kTemplates.begin(), kTemplates.end(), name) == kTemplates.end()) {
            r_.error(r_.inside(node, base),
                     fmt::format("unknown template %({})s{}; known: {}", name,
                                 did_you_mean(name, kTemplates), join(kTemplates)));
        }
    }
}

// An event handler's command: each %(NAME)s must be one tock fills in,
// or the handler would fail at run time (bash reads the rest).
std::vector<std::string> Loader::handlers(const YAML::Node& n, const std::string& what,
                                          const std::vector<std::string>& known) {
    std::vector<std::string> out;
    for (auto& item : r_.items(n, "a handler", false)) {
        const std::string& t = item.text;
        for (std::size_t i = t.find("%("); i != std::string::npos; i = t.find("%(", i + 2)) {
            const auto end = t.find(')', i);
            if (end == std::string::npos || end + 1 >= t.size() || t[end + 1] != 's') {
                r_.error(r_.inside(item.node, i),
                         fmt::format("unterminated template in {}: write %(NAME)s, one of {}", what,
                                     join(known)));
                break;
            }
            const std::string name = t.substr(i + 2, end - i - 2);
            if (std::find(known.begin(), known.end(), name) == known.end()) {
                r_.error(r_.inside(item.node, i),
                         fmt::format("unknown template %({})s in {}{}; known: {}", name, what,
                                     did_you_mean(name, known), join(known)));
            }
        }
        out.push_back(std::move(item.text));
    }
    return out;
}

// `vars: {KEY: default, KEY2: ~}` declares variables; --set KEY=VALUE
// gives them values; ${KEY} in any value of the file is replaced (only a
// declared KEY: ${HOME} in a script stays bash's; $${KEY} is a literal
// ${KEY}). A variable with no default and no --set is an error, and so
// is a --set of a variable the file does not declare.
void Loader::variables(YAML::Node& top) {
    const YAML::Node v = r_.get(top, "vars");
    std::vector<std::string> declared;
    if (v.IsDefined() && !v.IsNull()) {
        if (!v.IsMap()) {
            r_.error(v, "vars maps each variable to its default value (~ for none)");
        } else {
            for (const auto& kv : v) {
                const std::string k = kv.first.Scalar();
                if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0])) ||
                    !std::all_of(k.begin(), k.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                    })) {
                    r_.error(kv.first, fmt::format("'{}' is not a valid variable name: use "
                                                   "letters, digits and _",
                                                   k));
                    continue;
                }
                declared.push_back(k);
                if (auto it = ov_.vars.find(k); it != ov_.vars.end()) {
                    vars_[k] = it->second;
                } else if (kv.second.IsScalar()) {
                    vars_[k] = kv.second.Scalar();
                } else if (kv.second.IsNull()) {
                    r_.error(kv.first, fmt::format("variable '{}' has no value: give it with "
                                                   "--set {}=VALUE, or a default here",
                                                   k, k));
                } else {
                    r_.error(kv.second, fmt::format("variable '{}': a default is one value, "
                                                    "not a list or a mapping",
                                                    k));
                }
            }
        }
    }
    for (const auto& [k, val] : ov_.vars) {
        if (std::find(declared.begin(), declared.end(), k) == declared.end()) {
            r_.error(v.IsDefined() ? r_.loc(v) : Location{r_.file(), 1, 1},
                     fmt::format("--set {}: the workflow has no variable '{}'{}: declare it "
                                 "under vars",
                                 k, k, did_you_mean(k, declared)));
        }
    }
    if (declared.empty()) return;
    std::function<void(YAML::Node)> walk = [&](YAML::Node n) {
        if (n.IsScalar()) {
            const std::string& text = n.Scalar();
            if (text.find("${") == std::string::npos) return;
            std::string out;
            for (std::size_t i = 0; i < text.size();) {
                const bool literal = text.compare(i, 3, "$${") == 0;
                if (literal || text.compare(i, 2, "${") == 0) {
                    const std::size_t open = i + (literal ? 3 : 2);
                    const std::size_t close = text.find('}', open);
                    const std::string k =
                        close == std::string::npos ? "" : text.substr(open, close - open);
                    if (std::find(declared.begin(), declared.end(), k) != declared.end()) {
                        if (literal) {
                            out += "${" + k + "}";
                        } else if (auto it = vars_.find(k); it != vars_.end()) {
                            out += it->second;
                        }
                        i = close + 1;
                        continue;
                    }
                }
                out += text[i++];
            }
            n = out;  // keeps the node's place in the file for messages
        } else if (n.IsSequence()) {
            for (auto item : n) walk(item);
        } else if (n.IsMap()) {
            for (auto kv : n) {
                if (kv.second.is(v)) continue;  // the declarations themselves
                walk(kv.second);
            }
        }
    };
    walk(top);
}

void Loader::queues(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsMap()) {
        r_.error(n, "scheduling.queues maps queue names to {limit, members}");
        return;
    }
    std::vector<std::string> candidates = wf_.tasks;
    candidates.insert(candidates.end(), wf_.families.begin(), wf_.families.end());
    std::set<std::string> seen;
    for (const auto& kv : n) {
        Queue q;
        q.name = kv.first.Scalar();
        if (!seen.insert(q.name).second) {
            r_.error(kv.first, fmt::format("queue '{}' is defined twice: keep one", q.name));
            continue;
        }
        q.where = r_.loc(kv.first);
        if (!r_.keys(kv.second, "queue " + q.name, {"limit", "members"})) continue;
        if (auto l = r_.integer(r_.get(kv.second, "limit"), "queue limit", 0, 1000000)) {
            q.limit = static_cast<int>(*l);
        }
        const YAML::Node m = r_.get(kv.second, "members");
        for (const auto& item : r_.items(m, "queue members")) {
            const std::string& name = item.text;
            q.members.push_back(name);
            if (wf_.is_family(name)) {
                for (const auto& t : wf_.members(name)) q.tasks.push_back(t);
            } else if (wf_.is_task(name)) {
                q.tasks.push_back(name);
            } else {
                r_.error(item.node,
                         fmt::format("queue '{}' member '{}' is neither a task in the graph "
                                     "nor a family{}",
                                     q.name, name, did_you_mean(name, candidates)));
            }
        }
        wf_.queues[q.name] = std::move(q);
    }
}

void Loader::special_tasks(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!r_.keys(n, "scheduling.special_tasks", {"clock_trigger", "clock_expire"})) return;
    for (const char* kind : {"clock_trigger", "clock_expire"}) {
        const YAML::Node m = r_.get(n, kind);
        if (!m.IsDefined() || m.IsNull()) continue;
        if (settings_.mode != CyclingMode::datetime) {
            r_.error(m, fmt::format("{} needs date-time cycling", kind));
            continue;
        }
        if (settings_.calendar != Calendar::gregorian) {
            r_.error(m, fmt::format("{} needs the gregorian calendar: {}", kind, kNotWallClock));
            continue;
        }
        for (const auto& [task, off] : pairs(m, kind, false)) {
            if (!wf_.is_task(task)) {
                r_.error(m, fmt::format("{}: '{}' is not a task in the graph{}", kind, task,
                                        did_you_mean(task, wf_.tasks)));
                continue;
            }
            try {
                const Interval i = wf_.cycling.parse_interval(off.empty() ? "PT0S" : off);
                (std::string(kind) == "clock_trigger" ? wf_.clock_trigger
                                                      : wf_.clock_expire)[task] = i;
            } catch (const ParseError& e) {
                r_.error(m, fmt::format("{} offset for '{}': {}", kind, task, e.what()));
            }
        }
    }
}

void Loader::platforms(const YAML::Node& n) {
    wf_.platforms = ov_.platforms;  // the global configuration's
    wf_.platforms["localhost"] = with_runner_defaults(Platform{}, false);
    read_platforms(n, wf_.platforms,
                   [&](const YAML::Node& at, const std::string& msg) { r_.error(at, msg); });
}

// Directives are written for Slurm: a task whose jobs go elsewhere would
// carry them for nothing, and one that would break the #SBATCH header is
// refused here rather than by sbatch at run time.
void Loader::check_platforms() {
    for (const auto& task : wf_.tasks) {
        const Runtime& rt = wf_.runtime.at(task);
        if (rt.directives.empty()) continue;
        const Platform& p = wf_.platform_of(rt);
        if (p.job_runner != "slurm") {
            r_.error(rt.where, fmt::format("task '{}' has directives, which are for Slurm, and its "
                                           "jobs run on platform '{}' ({} runner): give it a "
                                           "Slurm platform or remove them",
                                           task, p.name, p.job_runner));
            continue;
        }
        for (const auto& [k, v] : rt.directives) {
            if (auto why = directive_error(k, v))
                r_.error(rt.where, fmt::format("task '{}': {}", task, *why));
        }
    }
}

}  // namespace tock::config::detail
