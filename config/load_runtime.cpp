// The loader's parameters and runtime namespaces: each namespace's own
// settings, its inheritance (C3), and the settings merged down the lineage.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "config/loader.hpp"

namespace tock::config::detail {

namespace {

const std::vector<std::string> kRuntimeKeys = {
    "inherit",     "script",  "env_script", "pre_script", "post_script", "err_script",
    "environment", "retries", "time_limit", "outputs",    "platform",    "job_runner",
    "directives",  "events",  "simulation", "meta"};
const std::vector<std::string> kRetryKeys = {"execution", "submission"};
const std::vector<std::string> kTaskEventKeys = {"handlers", "submission_timeout",
                                                 "execution_timeout"};
const std::vector<std::string> kJobRunners = {"background", "slurm", "at"};
// The templates an event handler's command may hold (%(NAME)s), as
// coroutines/event_handlers.cpp fills them.
const std::vector<std::string> kTaskHandlerTemplates = {"event",  "workflow", "id",
                                                        "point",  "name",     "submit_num",
                                                        "job_id", "message",  "workflow_run_dir"};

// C3 linearisation, as Cylc (and Python) order multiple inheritance.
std::optional<std::vector<std::string>> c3(const std::string& name,
                                           const std::map<std::string, RawRuntime>& raw,
                                           std::map<std::string, std::vector<std::string>>& memo,
                                           std::set<std::string>& visiting) {
    if (auto it = memo.find(name); it != memo.end()) return it->second;
    if (!visiting.insert(name).second) return std::nullopt;  // an inheritance loop
    std::vector<std::vector<std::string>> seqs;
    const auto& parents = raw.at(name).parents;
    for (const auto& p : parents) {
        auto lin = c3(p, raw, memo, visiting);
        if (!lin) return std::nullopt;
        seqs.push_back(*lin);
    }
    seqs.push_back(parents);
    std::vector<std::string> out = {name};
    for (;;) {
        seqs.erase(std::remove_if(seqs.begin(), seqs.end(), [](auto& s) { return s.empty(); }),
                   seqs.end());
        if (seqs.empty()) break;
        std::optional<std::string> pick;
        for (const auto& s : seqs) {
            const std::string& cand = s.front();
            bool in_tail = false;
            for (const auto& t : seqs) {
                if (std::find(t.begin() + 1, t.end(), cand) != t.end()) in_tail = true;
            }
            if (!in_tail) {
                pick = cand;
                break;
            }
        }
        if (!pick) return std::nullopt;
        out.push_back(*pick);
        for (auto& s : seqs) {
            if (!s.empty() && s.front() == *pick) s.erase(s.begin());
        }
    }
    visiting.erase(name);
    memo[name] = out;
    return out;
}

}  // namespace

void Loader::parameters(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;
    if (!n.IsMap()) {
        r_.error(n, "parameters maps each parameter to its values, e.g. member: 1..50");
        return;
    }
    YAML::Node templates;
    for (const auto& kv : n) {
        const std::string name = kv.first.Scalar();
        if (name == "templates") {
            templates = kv.second;
            continue;
        }
        if (wf_.parameters.count(name)) {
            r_.error(kv.first, fmt::format("parameter '{}' is defined twice: keep one", name));
            continue;
        }
        const bool ident = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                           });
        if (!ident) {
            r_.error(kv.first, fmt::format("'{}' is not a valid parameter name: use letters, "
                                           "digits and _, not starting with a digit",
                                           name));
            continue;
        }
        bad_params_.insert(name);  // until its values are read
        Parameter p;
        p.name = name;
        p.where = r_.loc(kv.first);
        const YAML::Node v = kv.second;
        try {
            if (v.IsSequence()) {
                for (const auto& item : v) {
                    if (!item.IsScalar() || item.Scalar().empty()) {
                        r_.error(item, fmt::format("parameter '{}': each value is a name or "
                                                   "an integer",
                                                   name));
                        continue;
                    }
                    p.values.push_back(item.Scalar());
                }
            } else if (v.IsScalar()) {
                p.values = parse_values(v.Scalar());
            } else {
                r_.error(v, fmt::format("parameter '{}' takes a range (1..50, 0..48..6) or a "
                                        "list of values ([north, south])",
                                        name));
                continue;
            }
        } catch (const ParseError& e) {
            r_.error(r_.inside(v, e.offset), fmt::format("parameter '{}': {}", name, e.what()));
            continue;
        }
        if (p.values.empty()) {
            r_.error(v, fmt::format("parameter '{}' has no values", name));
            continue;
        }
        p.integer = std::all_of(p.values.begin(), p.values.end(), [](const std::string& x) {
            std::size_t i = (x[0] == '-' || x[0] == '+') ? 1 : 0;
            return i < x.size() && x.find_first_not_of("0123456789", i) == std::string::npos;
        });
        std::set<std::string> seen;
        bool ok = true;
        for (const auto& x : p.values) {
            const std::string key = p.integer ? std::to_string(std::stoll(x)) : x;
            if (!seen.insert(key).second) {
                r_.error(v, fmt::format("parameter '{}' has the value {} twice", name, x));
                ok = false;
            } else if (!p.integer && !valid_name(x)) {
                r_.error(v, fmt::format("parameter '{}': '{}' cannot be part of a task name: "
                                        "use letters, digits, _ - + %",
                                        name, x));
                ok = false;
            }
        }
        if (!ok) continue;
        p.tmpl = default_template(p);
        bad_params_.erase(name);
        wf_.parameters[name] = std::move(p);
    }
    if (!templates.IsDefined() || templates.IsNull()) return;
    if (!templates.IsMap()) {
        r_.error(templates,
                 "parameters.templates maps a parameter to its template, e.g. "
                 "member: \"_m%(member)02d\"");
        return;
    }
    for (const auto& kv : templates) {
        const std::string name = kv.first.Scalar();
        auto it = wf_.parameters.find(name);
        if (it == wf_.parameters.end()) {
            std::vector<std::string> names;
            for (const auto& [k, v] : wf_.parameters) names.push_back(k);
            r_.error(kv.first, fmt::format("a template for '{}', which is not a parameter{}", name,
                                           did_you_mean(name, names)));
            continue;
        }
        auto t = r_.str(kv.second, "a parameter template");
        if (!t) continue;
        if (auto why = check_template(it->second, *t); !why.empty()) {
            r_.error(kv.second, fmt::format("template of '{}': {}", name, why));
            continue;
        }
        it->second.tmpl = *t;
        for (std::size_t i = 0; i < it->second.values.size(); ++i) {
            const std::string out = render(it->second, i);
            if (!std::all_of(out.begin(), out.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                           c == '+' || c == '%';
                })) {
                r_.error(kv.second, fmt::format("template of '{}' writes '{}', which cannot "
                                                "be part of a task name",
                                                name, out));
                break;
            }
        }
    }
}

// Check a parameterised name's parameters and values; "" or what is
// wrong, or kReported if it is a parameter whose own error is reported.
std::string Loader::check_param_name(const ParamName& pn) {
    std::vector<std::string> names;
    for (const auto& [k, v] : wf_.parameters) names.push_back(k);
    for (const auto& g : pn.groups) {
        for (const auto& sp : g) {
            if (bad_params_.count(sp.param)) return kReported;
            auto it = wf_.parameters.find(sp.param);
            if (it == wf_.parameters.end()) {
                return fmt::format("'{}' is not a parameter{}: define it under parameters",
                                   sp.param, did_you_mean(sp.param, names));
            }
            const Parameter& p = it->second;
            if (sp.kind == ParamSpec::Kind::fixed && !value_index(p, sp.value)) {
                return fmt::format("<{}={}>: {} is not one of {}'s values ({})", sp.param, sp.value,
                                   sp.value, sp.param, join(p.values));
            }
        }
    }
    return "";
}

void Loader::runtime(const YAML::Node& n) {
    raw_["root"] = RawRuntime{};
    if (n.IsDefined() && !n.IsNull()) {
        if (!n.IsMap()) {
            r_.error(n, "runtime maps task and family names to their settings");
        } else {
            std::set<std::string> seen;
            for (const auto& kv : n) {
                const std::string name = kv.first.Scalar();
                if (!seen.insert(name).second) {
                    r_.error(kv.first,
                             fmt::format("'{}' is defined twice in runtime: keep one", name));
                    continue;
                }
                if (name.find_first_of("<>") != std::string::npos) {
                    runtime_parameterised(name, kv.first, kv.second);
                    continue;
                }
                if (!valid_name(name)) {
                    r_.error(kv.first, fmt::format("'{}' is not a valid task or family name: use "
                                                   "letters, digits, _ - + %",
                                                   name));
                    continue;
                }
                raw_[name] = read_namespace(name, kv.first, kv.second);
            }
        }
    }
    // A task a parameterised namespace expands to inherits it (the most
    // specific first: model<member=5> before model<member>), then what
    // its own entry, if any, inherits.
    for (auto& [task, keys] : param_parents_) {
        std::stable_sort(keys.begin(), keys.end(),
                         [](const auto& a, const auto& b) { return a.fixed > b.fixed; });
        const bool fresh = !raw_.count(task);
        RawRuntime& r = raw_[task];
        if (fresh) r.where = keys.front().where;
        std::vector<std::string> parents;
        for (const auto& k : keys) parents.push_back(k.key);
        parents.insert(parents.end(), r.parents.begin(), r.parents.end());
        r.parents = std::move(parents);
    }
    // Parents must exist, and root is everyone's last ancestor.
    std::vector<std::string> names;
    for (auto& [name, r] : raw_) names.push_back(name);
    for (auto& [name, r] : raw_) {
        std::vector<std::string> ok;
        for (const auto& p : r.parents) {
            if (raw_.count(p)) {
                ok.push_back(p);
            } else {
                r_.error(r.inherit_node.IsDefined() ? r_.loc(r.inherit_node) : r.where,
                         fmt::format("'{}' inherits '{}', which is not in runtime{}: define the "
                                     "family or remove it from inherit",
                                     name, p, did_you_mean(p, names)));
            }
        }
        r.parents = ok;
        if (name != "root" && r.parents.empty()) r.parents = {"root"};
    }
    std::map<std::string, std::vector<std::string>> memo;
    for (auto& [name, r] : raw_) {
        std::set<std::string> visiting;
        auto lin = c3(name, raw_, memo, visiting);
        if (!lin) {
            r_.error(r.where, fmt::format("the inheritance of '{}' has a loop or no consistent "
                                          "order (C3): check its inherit list",
                                          name));
            continue;
        }
        wf_.runtime[name] = merge(name, *lin);
    }
    for (auto& [name, r] : raw_) {
        for (const auto& p : r.parents) {
            if (auto it = wf_.runtime.find(p); it != wf_.runtime.end()) it->second.is_family = true;
        }
    }
    for (auto& [name, rt] : wf_.runtime) {
        if (rt.is_family && name != "root") wf_.families.push_back(name);
    }
}

// A runtime entry named with parameters (model<member>, model<member=5>):
// a family of the tasks it expands to.
void Loader::runtime_parameterised(const std::string& name, const YAML::Node& key,
                                   const YAML::Node& n) {
    ParamName pn;
    try {
        pn = parse_param_name(name);
    } catch (const ParseError& e) {
        r_.error(r_.inside(key, e.offset), fmt::format("runtime '{}': {}", name, e.what()));
        return;
    }
    if (auto why = check_param_name(pn); !why.empty()) {
        if (why != kReported) r_.error(key, fmt::format("runtime '{}': {}", name, why));
        return;
    }
    int fixed = 0;
    for (const auto& g : pn.groups) {
        for (const auto& sp : g) {
            if (sp.kind == ParamSpec::Kind::offset) {
                r_.error(key, fmt::format("runtime '{}': an offset (<{}{:+}>) belongs in the "
                                          "graph; a runtime name takes <{}> (every value) or "
                                          "<{}=VALUE> (one)",
                                          name, sp.param, sp.offset, sp.param, sp.param));
                return;
            }
            if (sp.kind == ParamSpec::Kind::fixed) ++fixed;
        }
    }
    for (const auto& t : pn.text) {
        if (!t.empty() && !valid_name(t)) {
            r_.error(key, fmt::format("'{}' is not a valid task or family name: use "
                                      "letters, digits, _ - + % around the <parameters>",
                                      name));
            return;
        }
    }
    std::string norm = name;
    norm.erase(std::remove(norm.begin(), norm.end(), ' '), norm.end());
    if (raw_.count(norm)) {
        r_.error(key, fmt::format("'{}' is defined twice in runtime: keep one", norm));
        return;
    }
    RawRuntime r = read_namespace(norm, key, n);
    for (const auto& p : r.parents) {
        if (p.find('<') != std::string::npos) {
            r_.error(r.inherit_node, fmt::format("'{}' inherits '{}': a namespace cannot "
                                                 "inherit a parameterised one; inherit a "
                                                 "family without parameters",
                                                 norm, p));
            return;
        }
    }
    raw_[norm] = std::move(r);
    for (const auto& b : bindings(pn.free_params(), wf_.parameters)) {
        const auto task = instantiate(pn, wf_.parameters, b);
        if (!task) continue;
        param_parents_[*task].push_back({norm, fixed, r_.loc(key)});
        note_values(*task, pn, b);
    }
}

// Record the parameter values a concrete name was made with.
void Loader::note_values(const std::string& task, const ParamName& pn, const Binding& b) {
    auto& out = param_values_[task];
    if (!out.empty()) return;
    for (const auto& g : pn.groups) {
        for (const auto& sp : g) {
            const Parameter& p = wf_.parameters.at(sp.param);
            const std::size_t i =
                sp.kind == ParamSpec::Kind::fixed
                    ? *value_index(p, sp.value)
                    : static_cast<std::size_t>(static_cast<long>(b.at(sp.param)) + sp.offset);
            out.emplace_back(sp.param, p.values[i]);
        }
    }
}

RawRuntime Loader::read_namespace(const std::string& name, const YAML::Node& key,
                                  const YAML::Node& n) {
    RawRuntime r;
    r.where = r_.loc(key);
    if (n.IsNull()) return r;
    const std::string what = "runtime." + name;
    if (!r_.keys(n, what, kRuntimeKeys)) return r;
    const YAML::Node inh = r_.get(n, "inherit");
    r.inherit_node = inh;
    r.parents = r_.strings(inh, what + ".inherit");
    if (std::find(r.parents.begin(), r.parents.end(), name) != r.parents.end()) {
        r_.error(inh, fmt::format("'{}' cannot inherit itself", name));
        r.parents.erase(std::remove(r.parents.begin(), r.parents.end(), name), r.parents.end());
    }
    if (name == "root" && !r.parents.empty()) {
        r_.error(inh, "root is the base of every namespace and cannot inherit");
        r.parents.clear();
    }
    r.script = r_.str(r_.get(n, "script"), what + ".script");
    r.env_script = r_.str(r_.get(n, "env_script"), what + ".env-script");
    r.pre_script = r_.str(r_.get(n, "pre_script"), what + ".pre-script");
    r.post_script = r_.str(r_.get(n, "post_script"), what + ".post-script");
    r.err_script = r_.str(r_.get(n, "err_script"), what + ".err-script");
    r.environment = pairs(r_.get(n, "environment"), what + ".environment", true);
    const YAML::Node retries = r_.get(n, "retries");
    if (retries.IsDefined() && !retries.IsNull() &&
        r_.keys(retries, what + ".retries", kRetryKeys)) {
        r.exec_retries = delays(r_.get(retries, "execution"));
        r.submit_retries = delays(r_.get(retries, "submission"));
    }
    r.time_limit = exact_interval(r_.get(n, "time_limit"));
    r.outputs = pairs(r_.get(n, "outputs"), what + ".outputs", false);
    static const std::vector<std::string> reserved = {
        "submitted", "submit-failed", "started", "succeeded", "failed", "expired", "submit",
        "fail",      "start",         "succeed", "finish",    "expire", "finished"};
    for (const auto& [o, msg] : r.outputs) {
        if (std::find(reserved.begin(), reserved.end(), o) != reserved.end()) {
            r_.error(r_.get(n, "outputs"), fmt::format("'{}' is a built-in output: choose another "
                                                       "name for the custom output",
                                                       o));
        } else if (!valid_name(o)) {
            r_.error(r_.get(n, "outputs"), fmt::format("'{}' is not a valid output name", o));
        }
        if (msg.empty()) {
            r_.error(r_.get(n, "outputs"), fmt::format("output '{}' needs a message: the text the "
                                                       "job sends with tock message",
                                                       o));
        }
    }
    const YAML::Node pn = r_.get(n, "platform");
    r.platform = r_.str(pn, what + ".platform");
    if (r.platform && !wf_.platforms.count(*r.platform)) {
        std::vector<std::string> names;
        for (const auto& [k, v] : wf_.platforms) names.push_back(k);
        r_.error(pn, fmt::format("unknown platform '{}'{}: define it under platforms (here or in "
                                 "the global configuration), or use one of {}",
                                 *r.platform, did_you_mean(*r.platform, names), join(names)));
    }
    const YAML::Node jr = r_.get(n, "job_runner");
    r.job_runner = r_.str(jr, what + ".job_runner");
    if (r.platform && r.job_runner) {
        r_.error(jr, fmt::format("{} sets both platform and job_runner: the platform names its "
                                 "runner; keep one",
                                 what));
    }
    if (r.job_runner &&
        std::find(kJobRunners.begin(), kJobRunners.end(), *r.job_runner) == kJobRunners.end()) {
        r_.error(jr, fmt::format("unknown job runner '{}'{}: use {}", *r.job_runner,
                                 did_you_mean(*r.job_runner, kJobRunners), join(kJobRunners)));
    }
    r.directives = pairs(r_.get(n, "directives"), what + ".directives", false);
    const YAML::Node ev = r_.get(n, "events");
    if (ev.IsDefined() && !ev.IsNull() && r_.keys(ev, what + ".events", kTaskEventKeys)) {
        r.submission_timeout = exact_interval(r_.get(ev, "submission_timeout"));
        r.execution_timeout = exact_interval(r_.get(ev, "execution_timeout"));
        const YAML::Node h = r_.get(ev, "handlers");
        if (h.IsDefined() && !h.IsNull() && r_.keys(h, what + ".events.handlers", task_events())) {
            for (const auto& kv : h) {
                r.handlers[norm_key(kv.first.Scalar())] =
                    handlers(kv.second, "a task event handler", kTaskHandlerTemplates);
            }
        }
    }
    const YAML::Node sim = r_.get(n, "simulation");
    if (sim.IsDefined() && !sim.IsNull() &&
        r_.keys(sim, what + ".simulation",
                {"run_length", "fail_cycle_points", "fail_try_1_only"})) {
        r.run_length = exact_interval(r_.get(sim, "run_length"));
        r.sim_fail_try_1_only =
            r_.boolean(r_.get(sim, "fail_try_1_only"), what + ".simulation.fail_try_1_only");
        const YAML::Node fp = r_.get(sim, "fail_cycle_points");
        if (fp.IsDefined() && !fp.IsNull()) {
            if (fp.IsScalar() && fp.Scalar() == "all") {
                r.sim_fail_all = true;
                r.sim_fail_points.emplace();
            } else {
                r.sim_fail_all = false;
                r.sim_fail_points.emplace();
                for (const auto& item : r_.items(fp, what + ".simulation.fail_cycle_points")) {
                    try {
                        r.sim_fail_points->push_back(wf_.cycling.parse_point_expr(
                            item.text, wf_.initial, wf_.cycling.now()));
                    } catch (const ParseError& e) {
                        r_.error(r_.inside(item.node, e.offset),
                                 fmt::format("fail_cycle_points (points, or all): {}", e.what()));
                    }
                }
            }
        }
    }
    return r;
}

// Ordered key: value pairs from a mapping.
std::vector<std::pair<std::string, std::string>> Loader::pairs(const YAML::Node& n,
                                                               const std::string& what,
                                                               bool env_names) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) {
        r_.error(n, fmt::format("{} must be a mapping of names to values", what));
        return out;
    }
    std::set<std::string> seen;
    for (const auto& kv : n) {
        const std::string k = kv.first.Scalar();
        if (!seen.insert(k).second) {
            r_.error(kv.first, fmt::format("'{}' appears twice in {}: keep one", k, what));
            continue;
        }
        if (env_names && (k.empty() || std::isdigit(static_cast<unsigned char>(k[0])) ||
                          !std::all_of(k.begin(), k.end(), [](char c) {
                              return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                          }))) {
            r_.error(kv.first, fmt::format("'{}' is not a valid environment variable name", k));
            continue;
        }
        auto v = r_.str(kv.second, what + "." + k);
        out.emplace_back(k, v.value_or(""));
    }
    return out;
}

// Execution time limits, timeouts, run lengths and retry delays are
// always real time, in either cycling mode.
std::optional<Interval> Loader::exact_interval(const YAML::Node& n) {
    Cycling dt(CyclingSettings{CyclingMode::datetime, Calendar::gregorian, 0, {}});
    return interval(n, dt, "a duration such as PT10M");
}

// [PT10S, 3*PT1M] or "PT10S, 3*PT1M": 3*X repeats X three times.
std::optional<std::vector<Interval>> Loader::delays(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    std::vector<Interval> out;
    Cycling dt(CyclingSettings{CyclingMode::datetime, Calendar::gregorian, 0, {}});
    for (const auto& it : r_.items(n, "retry delays")) {
        const std::string& item = it.text;
        std::size_t times = 1;
        std::string d = item;
        if (const auto star = item.find('*'); star != std::string::npos) {
            try {
                std::size_t used = 0;
                times = std::stoul(item.substr(0, star), &used);
                if (used != star || times == 0 || times > 1000) throw std::out_of_range("times");
            } catch (const std::exception&) {
                r_.error(
                    it.node,
                    fmt::format("'{}': write N*DURATION with N from 1 to 1000, e.g. 3*PT1M", item));
                continue;
            }
            d = item.substr(star + 1);
        }
        try {
            const Interval i = dt.parse_interval(d);
            out.insert(out.end(), times, i);
        } catch (const ParseError& e) {
            r_.error(it.node, fmt::format("retry delay '{}': {}", item, e.what()));
        }
    }
    return out;
}

Runtime Loader::merge(const std::string& name, const std::vector<std::string>& lineage) {
    Runtime rt;
    rt.name = name;
    rt.lineage = lineage;
    rt.where = raw_.at(name).where;
    rt.parents = raw_.at(name).parents;
    // Apply from the most distant ancestor (root) to the namespace itself.
    for (auto it = lineage.rbegin(); it != lineage.rend(); ++it) {
        const RawRuntime& r = raw_.at(*it);
        if (r.script) rt.script = *r.script;
        if (r.env_script) rt.env_script = *r.env_script;
        if (r.pre_script) rt.pre_script = *r.pre_script;
        if (r.post_script) rt.post_script = *r.post_script;
        if (r.err_script) rt.err_script = *r.err_script;
        for (const auto& [k, v] : r.environment) {
            auto e = std::find_if(rt.environment.begin(), rt.environment.end(),
                                  [&](auto& kv) { return kv.first == k; });
            if (e != rt.environment.end()) {
                e->second = v;
            } else {
                rt.environment.emplace_back(k, v);
            }
        }
        if (r.exec_retries) rt.execution_retry_delays = *r.exec_retries;
        if (r.submit_retries) rt.submission_retry_delays = *r.submit_retries;
        if (r.time_limit) rt.time_limit = r.time_limit;
        if (r.submission_timeout) rt.submission_timeout = r.submission_timeout;
        if (r.execution_timeout) rt.execution_timeout = r.execution_timeout;
        if (r.run_length) rt.run_length = r.run_length;
        if (r.sim_fail_points) rt.sim_fail_points = *r.sim_fail_points;
        if (r.sim_fail_all) rt.sim_fail_all = *r.sim_fail_all;
        if (r.sim_fail_try_1_only) rt.sim_fail_try_1_only = *r.sim_fail_try_1_only;
        for (const auto& o : r.outputs) {
            auto e = std::find_if(rt.outputs.begin(), rt.outputs.end(),
                                  [&](auto& kv) { return kv.first == o.first; });
            if (e != rt.outputs.end()) {
                e->second = o.second;
            } else {
                rt.outputs.push_back(o);
            }
        }
        // The nearest of platform and job_runner decides where jobs run.
        if (r.platform) {
            rt.platform = *r.platform;
            rt.job_runner.clear();
        }
        if (r.job_runner) {
            rt.job_runner = *r.job_runner;
            rt.platform.clear();
        }
        for (const auto& d : r.directives) {
            auto e = std::find_if(rt.directives.begin(), rt.directives.end(),
                                  [&](auto& kv) { return kv.first == d.first; });
            if (e != rt.directives.end()) {
                e->second = d.second;
            } else {
                rt.directives.push_back(d);
            }
        }
        for (const auto& [ev, cmds] : r.handlers) rt.handlers[ev] = cmds;
    }
    if (auto p = wf_.platforms.find(rt.platform); !rt.platform.empty() && p != wf_.platforms.end())
        rt.job_runner = p->second.job_runner;
    if (rt.job_runner.empty()) rt.job_runner = "background";
    return rt;
}

}  // namespace tock::config::detail
