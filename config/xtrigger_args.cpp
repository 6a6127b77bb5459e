#include "config/xtrigger_args.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "config/reader.hpp"

namespace tock::config {

namespace {

using detail::did_you_mean;
using detail::join;

constexpr const char* kStateExample =
    "e.g. workflow_state(workflow=other, task=model, point=%(point)s)";

// Cylc's workflow_state arguments that tock has not, with what to write.
const std::vector<std::pair<std::string, std::string>> kCylcOnly = {
    {"offset", "give the point itself"},
    {"message", "wait for the output by its name, output=NAME"},
    {"is_message", "wait for the output by its name, output=NAME"},
    {"flow_num", "a tock run has one flow"},
    {"cylc_run_dir", "run_dir=DIR names the run directory itself"},
    {"alt_cylc_run_dir", "run_dir=DIR names the run directory itself"},
    {"accept_pre_start_tasks", "a task before the run's start point is never met"}};

bool templated(std::string_view v) {
    return v.find("%(") != std::string_view::npos;
}

std::string_view trimmed(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// A call's arguments bound to parameter names: positions to `positional`
// in order, keywords to any of `keywords`. What does not fit is a problem.
std::map<std::string, std::string> bind(std::string_view function,
                                        const std::vector<std::string>& positional,
                                        const std::vector<std::string>& keywords,
                                        const std::vector<std::string>& args,
                                        const XTriggerKwargs& kwargs,
                                        std::vector<std::string>& problems) {
    std::map<std::string, std::string> bound;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i < positional.size()) {
            bound[positional[i]] = args[i];
        } else {
            problems.push_back(fmt::format(
                "{} takes at most {} argument{} by position ({}): '{}' is one too many", function,
                positional.size(), positional.size() == 1 ? "" : "s", join(positional), args[i]));
            break;
        }
    }
    for (const auto& [k, v] : kwargs) {
        if (std::find(keywords.begin(), keywords.end(), k) == keywords.end()) {
            const auto hint = std::find_if(kCylcOnly.begin(), kCylcOnly.end(),
                                           [&](const auto& h) { return h.first == k; });
            problems.push_back(
                hint != kCylcOnly.end()
                    ? fmt::format("{} has no argument '{}' in tock: {}", function, k, hint->second)
                    : fmt::format("{} has no argument '{}'{}: it takes {}", function, k,
                                  did_you_mean(k, keywords), join(keywords)));
        } else if (!bound.emplace(k, v).second) {
            problems.push_back(fmt::format("{} is given '{}' twice", function, k));
        }
    }
    return bound;
}

std::string status_list() {
    std::vector<std::string> names;
    for (const auto& [status, output] : workflow_state_statuses()) names.push_back(status);
    std::string last = names.back();
    names.pop_back();
    return join(names) + " or " + last;
}

void echo_problems(const XTriggerKwargs& kwargs, std::vector<std::string>& problems) {
    for (const auto& [k, v] : kwargs) {
        if (k == "succeed" && !templated(v) && !parse_bool(v))
            problems.push_back(fmt::format("echo succeed '{}' must be True or False", v));
    }
}

void xrandom_problems(const std::vector<std::string>& args, const XTriggerKwargs& kwargs,
                      std::vector<std::string>& problems) {
    // Cylc's signature: xrandom(percent, secs=0, _=None, debug=False); `_`
    // only makes calls differ (by point, say), and debug changes nothing.
    const auto a = bind("xrandom", {"percent", "secs", "_"}, {"percent", "secs", "_", "debug"},
                        args, kwargs, problems);
    const auto percent = a.find("percent");
    if (percent == a.end()) {
        problems.push_back(
            "xrandom needs percent, the chance in 100 that each try is satisfied, e.g. "
            "xrandom(50) or xrandom(percent=50, secs=5)");
    } else if (!templated(percent->second)) {
        const auto p = parse_number(percent->second);
        if (!p || *p < 0 || *p > 100)
            problems.push_back(
                fmt::format("xrandom percent '{}' is not a number from 0 to 100", percent->second));
    }
    if (const auto secs = a.find("secs"); secs != a.end() && !templated(secs->second)) {
        const auto s = parse_number(secs->second);
        if (!s || *s < 0)
            problems.push_back(fmt::format(
                "xrandom secs '{}' is not a number of seconds (0 or more)", secs->second));
    }
}

void interval_problems(const std::vector<std::string>& args, const XTriggerKwargs& kwargs,
                       std::vector<std::string>& problems) {
    const auto a = bind("interval", {"duration"}, {"duration"}, args, kwargs, problems);
    const auto d = a.find("duration");
    if (d == a.end()) {
        problems.push_back("interval needs a duration, e.g. interval(PT1H)");
        return;
    }
    if (templated(d->second)) return;
    try {
        const Interval i = parse_duration(d->second);
        if (i.months < 0 || i.seconds < 0)
            problems.push_back(fmt::format(
                "interval duration '{}' is negative: give how long to wait, e.g. PT1H", d->second));
    } catch (const ParseError& e) {
        problems.push_back(fmt::format("interval duration '{}': {}", d->second, e.what()));
    }
}

// NAME//CYCLE/TASK or NAME//CYCLE/TASK:SELECTOR into `q` (selector to `sel`).
bool read_id(std::string_view id, WorkflowStateQuery& q, std::string& sel) {
    const auto slashes = id.find("//");
    const auto slash = id.find('/', slashes + 2);
    if (slashes == 0 || slash == std::string_view::npos) return false;
    q.workflow = id.substr(0, slashes);
    q.point = id.substr(slashes + 2, slash - slashes - 2);
    std::string_view task = id.substr(slash + 1);
    if (const auto colon = task.find(':'); colon != std::string_view::npos) {
        sel = task.substr(colon + 1);
        task = task.substr(0, colon);
        if (sel.empty()) return false;
    }
    q.task = task;
    return !q.point.empty() && !q.task.empty() && task.find('/') == std::string_view::npos;
}

}  // namespace

bool is_builtin_xtrigger(std::string_view function) {
    return function == "echo" || function == "xrandom" || function == "interval" ||
           function == "workflow_state";
}

std::optional<double> parse_number(std::string_view text) {
    const std::string t(trimmed(text));
    if (t.empty() || t.find_first_of("xXpP") != std::string::npos) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(std::string_view text) {
    const std::string_view t = trimmed(text);
    if (t == "True" || t == "true") return true;
    if (t == "False" || t == "false") return false;
    return std::nullopt;
}

Interval parse_duration(std::string_view text) {
    const Cycling dt(CyclingSettings{CyclingMode::datetime, Calendar::gregorian, 0, {}});
    return dt.parse_interval(text);
}

const std::vector<std::pair<std::string, std::string>>& workflow_state_statuses() {
    static const std::vector<std::pair<std::string, std::string>> statuses = {
        {"submitted", "submitted"}, {"submit-failed", "submit-failed"},
        {"running", "started"},     {"succeeded", "succeeded"},
        {"failed", "failed"},       {"expired", "expired"}};
    return statuses;
}

WorkflowStateQuery workflow_state_query(const std::vector<std::string>& args,
                                        const XTriggerKwargs& kwargs,
                                        std::vector<std::string>& problems) {
    WorkflowStateQuery q;
    const std::vector<std::string> keywords = {"workflow", "task",    "point",     "status",
                                               "output",   "run_dir", "is_trigger"};
    std::map<std::string, std::string> a;
    std::string selector;
    const bool id_form = !args.empty() && args[0].find("//") != std::string::npos;
    if (id_form) {
        // Cylc 8.3's form: the id, then keywords.
        a = bind("workflow_state", {"id"}, keywords, args, kwargs, problems);
        if (!read_id(args[0], q, selector)) {
            problems.push_back(fmt::format(
                "workflow_state id '{}' must be NAME//CYCLE/TASK or NAME//CYCLE/TASK:STATUS",
                args[0]));
            return q;
        }
        for (const char* k : {"workflow", "task", "point"}) {
            if (a.count(k))
                problems.push_back(
                    fmt::format("workflow_state is given '{}' twice: in its id and as {}=", k, k));
        }
    } else {
        a = bind("workflow_state", {"workflow", "task", "point"}, keywords, args, kwargs, problems);
        q.workflow = a["workflow"];
        q.task = a["task"];
        q.point = a["point"];
    }
    q.run_dir = a["run_dir"];
    q.status = a["status"];
    q.output = a["output"];
    bool is_trigger = false;
    if (const auto t = a.find("is_trigger"); t != a.end() && !templated(t->second)) {
        const auto b = parse_bool(t->second);
        if (!b) {
            problems.push_back(
                fmt::format("workflow_state is_trigger '{}' must be True or False", t->second));
        } else if (*b && !id_form) {
            problems.push_back(
                "workflow_state is_trigger=True goes with an id (NAME//CYCLE/TASK:OUTPUT): "
                "otherwise write output=OUTPUT");
        }
        is_trigger = b.value_or(false);
    }
    if (!selector.empty()) {
        if (!q.status.empty() || !q.output.empty()) {
            problems.push_back(
                fmt::format("workflow_state is given what to wait for twice: ':{}' in its id, "
                            "and {}=",
                            selector, q.status.empty() ? "output" : "status"));
        } else if (is_trigger) {
            q.output = selector;
        } else {
            q.status = selector;
        }
    }
    if (q.workflow.empty() && q.run_dir.empty())
        problems.push_back(
            fmt::format("workflow_state needs workflow=NAME (or run_dir=DIR), {}", kStateExample));
    if (q.task.empty())
        problems.push_back(fmt::format("workflow_state needs task=TASK, {}", kStateExample));
    if (q.point.empty())
        problems.push_back(fmt::format("workflow_state needs point=CYCLE, {}", kStateExample));
    if (!q.status.empty() && !q.output.empty()) {
        problems.push_back("workflow_state takes status= or output=, not both: keep one");
    } else if (q.output.empty()) {
        if (q.status.empty()) q.status = "succeeded";
        const auto& statuses = workflow_state_statuses();
        const auto s = std::find_if(statuses.begin(), statuses.end(),
                                    [&](const auto& kv) { return kv.first == q.status; });
        if (s != statuses.end()) {
            q.output = s->second;
        } else if (!templated(q.status)) {
            std::vector<std::string> names;
            for (const auto& [status, output] : statuses) names.push_back(status);
            problems.push_back(
                q.status == "waiting" || q.status == "preparing"
                    ? fmt::format("workflow_state status '{}' is not one to wait for (every task "
                                  "passes through it): use {}",
                                  q.status, status_list())
                    : fmt::format("workflow_state status '{}' is not a task status{}: use {}",
                                  q.status, did_you_mean(q.status, names), status_list()));
        }
    }
    return q;
}

std::vector<std::string> builtin_xtrigger_problems(std::string_view function,
                                                   const std::vector<std::string>& args,
                                                   const XTriggerKwargs& kwargs) {
    std::vector<std::string> problems;
    if (function == "echo") {
        echo_problems(kwargs, problems);
    } else if (function == "xrandom") {
        xrandom_problems(args, kwargs, problems);
    } else if (function == "interval") {
        interval_problems(args, kwargs, problems);
    } else if (function == "workflow_state") {
        (void)workflow_state_query(args, kwargs, problems);
    }
    return problems;
}

}  // namespace tock::config
