// [runtime] of a flow.cylc as tock's runtime: each namespace's settings,
// events and simulation; Cylc 7's [[[job]]] as Cylc 8 reads it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "tools/cylc_map_parts.hpp"

namespace tock::cylc::parts {

Runtime::Runtime(const Section* rt, const Section* parameters, Notes& notes)
    : section_(rt), n_(notes) {
    if (parameters) {
        for (const auto& i : parameters->items) parameters_.insert(i.key);
    }
    if (!rt) return;
    for (const auto& s : rt->subs) {
        for (const auto& n : namespace_names(s->name)) {
            sections_[n].push_back(s.get());
            if (const Item* inh = s->item("inherit")) {
                for (const auto& p : split_list(inh->value)) {
                    if (p != "None") parents_[n].push_back(p);
                }
            }
        }
    }
}

std::vector<std::string> Runtime::tasks_of(const std::string& name) const {
    std::set<std::string> has_children;
    for (const auto& [child, ps] : parents_) {
        for (const auto& p : ps) has_children.insert(p);
    }
    if (!has_children.count(name)) return {name};
    std::vector<std::string> out;
    for (const auto& [n, ss] : sections_) {
        if (!has_children.count(n) && inherits(n, name)) out.push_back(n);
    }
    return out;
}

bool Runtime::inherits(const std::string& n, const std::string& ancestor, int depth) const {
    if (depth > 100) return false;
    auto it = parents_.find(n);
    if (it == parents_.end()) return false;
    for (const auto& p : it->second) {
        if (p == ancestor || inherits(p, ancestor, depth + 1)) return true;
    }
    return false;
}

// A namespace's setting, inherited as Cylc inherits it (the first parent
// first, then root).
const Item* Runtime::inherited(const std::string& name, const std::string& section,
                               const std::string& key, int depth) const {
    if (depth > 100) return nullptr;
    if (auto it = sections_.find(name); it != sections_.end()) {
        for (auto s = it->second.rbegin(); s != it->second.rend(); ++s) {
            const Section* sub = (*s)->sub(section);
            if (const Item* i = sub ? sub->item(key) : nullptr) return i;
        }
    }
    if (auto it = parents_.find(name); it != parents_.end()) {
        for (const auto& p : it->second) {
            if (const Item* i = inherited(p, section, key, depth + 1)) return i;
        }
    }
    if (name != "root") return inherited("root", section, key, depth + 1);
    return nullptr;
}

// Cylc's job variables that tock's jobs set under other names.
const std::map<std::string, std::string> kJobVariables = {
    {"CYLC_WORKFLOW_ID", "$TOCK_WORKFLOW_ID"},
    {"CYLC_WORKFLOW_NAME", "$TOCK_WORKFLOW_ID"},
    {"CYLC_SUITE_NAME", "$TOCK_WORKFLOW_ID"},
    {"CYLC_WORKFLOW_RUN_DIR", "$TOCK_RUN_DIR"},
    {"CYLC_SUITE_RUN_DIR", "$TOCK_RUN_DIR"},
    {"CYLC_TASK_NAME", "$TOCK_TASK_NAME"},
    {"CYLC_TASK_CYCLE_POINT", "$TOCK_TASK_CYCLE_POINT"},
    {"CYLC_TASK_JOB", "$TOCK_TASK_JOB"},
    {"CYLC_TASK_ID", "$TOCK_TASK_CYCLE_POINT/$TOCK_TASK_NAME"}};

namespace {

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

void job_variables_used(const Section& s, std::set<std::string>& used, std::set<std::string>& set) {
    for (const auto& i : s.items) {
        const std::string& v = i.value;
        for (auto at = v.find("CYLC_"); at != std::string::npos; at = v.find("CYLC_", at + 5)) {
            if (at > 0 && word_char(v[at - 1])) continue;  // inside another name
            std::size_t end = at + 5;
            while (end < v.size() && word_char(v[end])) ++end;
            if (end > at + 5) used.insert(v.substr(at, end - at));
        }
    }
    for (const auto& sub : s.subs) {
        if (sub->name == "environment") {
            for (const auto& i : sub->items) set.insert(i.key);
        }
        job_variables_used(*sub, used, set);
    }
}

}  // namespace

void Runtime::write(Node& out) {
    if (!section_) return;
    // The Cylc job variables the jobs use, from tock's own, in root's
    // environment (before any other, so that values may refer to them).
    std::set<std::string> used, defined;
    job_variables_used(*section_, used, defined);
    std::vector<std::string> missing;
    for (const auto& v : used) {
        if (defined.count(v)) continue;
        std::string from;
        if (auto it = kJobVariables.find(v); it != kJobVariables.end()) {
            from = it->second;
        } else if (v.rfind("CYLC_TASK_PARAM_", 0) == 0) {
            from = "$TOCK_PARAM_" + v.substr(16);  // a task parameter's value
        }
        if (!from.empty()) {
            Node& env = out.child("root").keep().child("environment");
            if (env.bare()) {
                env.comment("Cylc's job variables that this workflow uses, from tock's:");
            }
            env.set(v, text(from));
        } else {
            missing.push_back("$" + v);
        }
    }
    if (!missing.empty()) {
        out.comment(fmt::format("note: the jobs use {}, which tock's jobs do not set",
                                fmt::join(missing, ", ")));
    }
    for (const auto& i : section_->items) n_.note(out, "[runtime]", i, kUnknown);
    for (const auto& sub : section_->subs) {
        for (const auto& name : namespace_names(sub->name)) {
            name_ = name;
            namespace_(*sub, out.child(name).keep(), "[runtime][" + name + "]");
        }
    }
}

void Runtime::namespace_(const Section& s, Node& out, const std::string& path) {
    static const std::set<std::string> scripts = {"script", "env-script", "pre-script",
                                                  "post-script", "err-script"};
    for (const auto& i : s.items) {
        if (i.key == "inherit") {
            std::vector<std::string> ps;
            for (const auto& p : split_list(i.value)) {
                if (p != "None") ps.push_back(p);
            }
            if (!ps.empty()) out.set("inherit", one_or_list(ps));
        } else if (scripts.count(i.key)) {
            cylc_commands(out, path + i.key, i.value);
            out.set(i.key, text(i.value));
        } else if (!job_item(out, path, i)) {
            std::string why = kUnknown;
            if (i.key == "init-script") {
                why =
                    "tock's job has no step before its environment is set: put it in "
                    "env-script";
            } else if (i.key == "exit-script") {
                why = "tock has no exit-script: put it at the end of post-script";
            } else if (i.key == "work sub-directory") {
                why = "tock's jobs have no work directories of their own: cd in the script";
            } else if (i.key == "completion") {
                why = "tock decides completion by the outputs the graph requires";
            } else if (i.key == "run mode") {
                why = "tock sets the run mode for the whole run (tock play --mode)";
            }
            n_.note(out, path, i, why);
        }
    }
    for (const auto& sub : s.subs) {
        const std::string p = path + "[" + sub->name + "]";
        if (sub->name == "environment") {
            Node& env = out.child("environment");
            for (const auto& i : sub->items) {
                cylc_commands(out, p + i.key, i.value);
                env.set(i.key, text(parameter_values(i.value)));
            }
            n_.unknown_subs(env, p, *sub, {});
        } else if (sub->name == "outputs") {
            Node& o = out.child("outputs");
            for (const auto& i : sub->items) o.set(i.key, text(i.value));
        } else if (sub->name == "directives") {
            // Directives go to a Slurm platform, which Cylc defines in
            // global.cylc: tock cannot tell which runner they were for.
            for (const auto& i : sub->items) n_.note(out, p, i, kDirectives);
        } else if (sub->name == "meta") {
            n_.meta(*sub, out.child("meta"), p);
        } else if (sub->name == "events") {
            task_events(*sub, out, p);
        } else if (sub->name == "simulation") {
            simulation(*sub, out, p);
        } else if (sub->name == "job") {
            // Cylc 7's [[[job]]]: Cylc 8 reads its settings as the task's.
            for (const auto& i : sub->items) {
                if (i.key == "batch system") {
                    static const std::set<std::string> runners = {"background", "slurm", "at"};
                    if (runners.count(i.value)) {
                        out.set("job_runner", text(i.value));
                    } else {
                        n_.note(out, p, i, "tock's job runners are background, slurm and at");
                    }
                } else if (!job_item(out, p, i)) {
                    n_.note(out, p, i, kCylc7);
                }
            }
        } else if (sub->name == "remote") {
            for (const auto& i : sub->items) n_.note(out, p, i, kPlatform);
        } else {
            std::string why = kUnknown;
            if (sub->name == "mail") why = kMail;
            if (sub->name == "parameter environment templates") why = kCylc7;
            if (sub->name == "workflow state polling") {
                why =
                    "tock has no workflow-state polling task; an xtrigger can check "
                    "another workflow";
            }
            if (sub->name == "skip") why = "tock's skip mode is for the whole run";
            n_.note_section(out, path, *sub, why);
        }
    }
}

// Cylc fills %(NAME)s (or %(NAME)03d) in an environment value with the
// task's parameter NAME; tock's job has it as $TOCK_PARAM_NAME.
std::string Runtime::parameter_values(const std::string& value) const {
    std::string out;
    std::size_t last = 0;
    for (auto at = value.find("%("); at != std::string::npos; at = value.find("%(", at + 2)) {
        const auto close = value.find(')', at);
        if (close == std::string::npos) break;
        const std::string name = value.substr(at + 2, close - at - 2);
        // After the ')': s, or [0][WIDTH]d.
        std::size_t k = close + 1;
        std::string width;
        if (k < value.size() && value[k] == '0') ++k;
        while (k < value.size() && std::isdigit(static_cast<unsigned char>(value[k]))) {
            width += value[k++];
        }
        const bool s = k == close + 1 && k < value.size() && value[k] == 's';
        const bool d = k < value.size() && value[k] == 'd';
        if (!parameters_.count(name) || !(s || d)) continue;
        out += value.substr(last, at - last);
        if (s || width.empty()) {
            out += "${TOCK_PARAM_" + name + "}";
        } else {
            out += fmt::format("$(printf %0{}d $TOCK_PARAM_{})", width, name);
        }
        last = k + 1;
        at = k - 1;
    }
    return out + value.substr(last);
}

// A note for each cylc command a script or a value runs: tock's jobs have
// tock message for cylc message, and no other.
void Runtime::cylc_commands(Node& out, const std::string& where, const std::string& text) {
    std::set<std::string> seen;
    for (auto at = text.find("cylc"); at != std::string::npos; at = text.find("cylc", at + 4)) {
        if (at > 0 && (word_char(text[at - 1]) ||
                       std::string("./-").find(text[at - 1]) != std::string::npos)) {
            continue;  // part of a path or another word
        }
        std::size_t k = at + 4;
        if (k >= text.size() || (text[k] != ' ' && text[k] != '\t')) continue;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
        std::string cmd;
        while (k < text.size() && (std::islower(static_cast<unsigned char>(text[k])) ||
                                   (!cmd.empty() && text[k] == '-'))) {
            cmd += text[k++];
        }
        if (cmd.empty() || !seen.insert(cmd).second) continue;
        if (cmd == "message") {
            out.comment(
                fmt::format("note: {} calls cylc message: a tock job sends its messages "
                            "with tock message (the same arguments)",
                            where));
        } else {
            out.comment(
                fmt::format("note: {} calls cylc {}, which tock does not provide", where, cmd));
        }
    }
}

// Settings of the job itself, in a namespace or Cylc 7's [[[job]]].
bool Runtime::job_item(Node& out, const std::string& path, const Item& i) {
    if (i.key == "execution time limit") {
        out.set("time_limit", text(i.value));
    } else if (i.key == "execution retry delays" || i.key == "submission retry delays") {
        const auto delays = split_list(i.value);
        if (!delays.empty()) {
            out.child("retries").set(i.key.rfind("execution", 0) == 0 ? "execution" : "submission",
                                     list_of(delays));
        }
    } else if (i.key == "execution polling intervals" || i.key == "submission polling intervals" ||
               i.key == "execution time limit polling intervals") {
        n_.note(out, path, i, kPolling);
    } else if (i.key == "platform") {
        if (i.value == "localhost") {
            out.set("platform", text(i.value));
        } else {
            n_.note(out, path, i, kPlatform);
        }
    } else {
        return false;
    }
    return true;
}

void Runtime::task_events(const Section& ev, Node& ns, const std::string& path) {
    static const std::map<std::string, std::string> events = {
        {"submitted", "submitted"},
        {"submission failed", "submit_failed"},
        {"submit-failed", "submit_failed"},
        {"submission retry", "submit_retry"},
        {"started", "started"},
        {"succeeded", "succeeded"},
        {"failed", "failed"},
        {"retry", "retry"},
        {"expired", "expired"},
        {"execution timeout", "execution_timeout"},
        {"submission timeout", "submission_timeout"},
        {"warning", "warning"},
        {"critical", "critical"},
        {"custom", "custom"}};
    Node out = Node::map();
    Node handlers = Node::map();
    for (const auto& i : ev.items) {
        if (i.key == "execution timeout" || i.key == "submission timeout") {
            std::string k = i.key;
            std::replace(k.begin(), k.end(), ' ', '_');
            out.set(k, text(i.value));
        } else if (i.key == "handlers" || i.key == "handler events") {
            continue;
        } else if (i.key.ends_with(" handlers") &&
                   events.count(i.key.substr(0, i.key.size() - 9))) {
            n_.handler(out, handlers, events.at(i.key.substr(0, i.key.size() - 9)), path, i,
                       kTaskTemplates);
        } else if (i.key.rfind("mail", 0) == 0) {
            n_.note(out, path, i, kMail);
        } else if (i.key == "late offset" || i.key == "late handlers") {
            n_.note(out, path, i, "tock has no late events");
        } else {
            n_.note(out, path, i, kUnknown);
        }
    }
    // handlers + handler events, each inherited on its own, as Cylc
    // combines them; an event's own "EVENT handlers" wins.
    if (ev.item("handlers") || ev.item("handler events")) {
        const Item* generic = inherited(name_, "events", "handlers");
        const Item* which = inherited(name_, "events", "handler events");
        if (generic && which) {
            for (const auto& e : split_list(which->value)) {
                auto it = events.find(e);
                const std::string event = it != events.end() ? it->second : e;
                if (e == "late") {
                    out.comment(
                        fmt::format("not carried over: {}handler events: late: tock "
                                    "has no late events",
                                    path));
                    ++n_.count;
                    continue;
                }
                if (!handlers.find(event)) {
                    n_.handler(out, handlers, event, path, *generic, kTaskTemplates);
                }
            }
        } else if (const Item* i = ev.item("handlers")) {
            n_.note(out, path, *i, "no 'handler events' say when it runs");
        }
    }
    if (!handlers.empty()) out.set("handlers", std::move(handlers));
    n_.unknown_subs(out, path, ev, {});
    if (!out.bare()) ns.set("events", std::move(out));
}

void Runtime::simulation(const Section& s, Node& ns, const std::string& path) {
    Node& out = ns.child("simulation");
    for (const auto& i : s.items) {
        if (i.key == "default run length") {
            out.set("run_length", text(i.value));
        } else if (i.key == "fail cycle points") {
            if (trim(i.value) == "all") {
                out.set("fail_cycle_points", text("all"));
            } else {
                out.set("fail_cycle_points", list_of(split_list(i.value)));
            }
        } else if (i.key == "fail try 1 only") {
            n_.boolean_into(out, "fail_try_1_only", path, i);
        } else if (i.key == "speedup factor") {
            n_.note(out, path, i, "tock simulates the run length as given (--fast: no waiting)");
        } else if (i.key == "time limit buffer") {
            n_.note(out, path, i, "tock's simulated jobs take their run length");
        } else if (i.key == "disable task event handlers") {
            n_.note(out, path, i, "tock runs event handlers in every mode");
        } else {
            n_.note(out, path, i, kUnknown);
        }
    }
}

}  // namespace tock::cylc::parts
