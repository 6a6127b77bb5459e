#include "tools/cylc_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>

namespace tock::cylc {

namespace {

using yout::Node;

// Why, for settings that recur.
constexpr const char* kMail =
    "tock sends no mail: run a command that mails from an event handler instead";
constexpr const char* kPlatform =
    "tock runs every job on this host, with the background runner (set job_runner for slurm "
    "or at); Cylc's platforms are defined in global.cylc, which tock does not read";
constexpr const char* kPolling =
    "tock hears of job events from the job itself and polls only on `tock poll`";
constexpr const char* kCylc7 = "a Cylc 7 setting that Cylc 8 reads only in back-compat mode";
constexpr const char* kUnknown = "not a Cylc 8 setting that tock knows";

const std::set<std::string> kTaskTemplates = {"event",  "workflow", "id",
                                              "point",  "name",     "submit_num",
                                              "job_id", "message",  "workflow_run_dir"};
const std::set<std::string> kWorkflowTemplates = {"event", "workflow", "message",
                                                  "workflow_run_dir"};
const std::set<std::string> kXTriggerTemplates = {
    "point", "name", "workflow", "id", "user_name", "workflow_run_dir", "workflow_share_dir",
    "debug"};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::optional<bool> boolean(const std::string& v) {
    std::string l;
    for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "true" || l == "yes") return true;
    if (l == "false" || l == "no") return false;
    return std::nullopt;
}

// A value as a comment shows it: its first line, shortened.
std::string shown(const std::string& v) {
    std::string first = v.substr(0, v.find('\n'));
    bool more = first.size() < v.size();
    if (first.size() > 60) {
        first = first.substr(0, 57);
        more = true;
    }
    return more ? first + " ..." : first;
}

Node text(const std::string& v) {
    return Node::str(v);
}

Node list_of(const std::vector<std::string>& items) {
    Node l = Node::list();
    for (const auto& i : items) l.push(Node::str(i));
    return l;
}

// One name, or a list when there are several.
Node one_or_list(const std::vector<std::string>& items) {
    return items.size() == 1 ? Node::str(items[0]) : list_of(items);
}

bool integer(const std::string& s) {
    static const std::regex re(R"(^[+-]?[0-9]+$)");
    return std::regex_match(s, re);
}

// Cylc's old template names, which Cylc 8 still fills, to tock's.
std::string modern_templates(std::string cmd) {
    const std::pair<const char*, const char*> renames[] = {
        {"%(suite)s", "%(workflow)s"},
        {"%(suite_name)s", "%(workflow)s"},
        {"%(workflow_name)s", "%(workflow)s"},
        {"%(suite_run_dir)s", "%(workflow_run_dir)s"},
        {"%(suite_share_dir)s", "%(workflow_share_dir)s"}};
    for (const auto& [from, to] : renames) {
        for (auto at = cmd.find(from); at != std::string::npos; at = cmd.find(from, at)) {
            cmd.replace(at, std::string(from).size(), to);
        }
    }
    return cmd;
}

// The first template tock does not fill, or "".
std::string unknown_template(const std::string& s, const std::set<std::string>& known) {
    static const std::regex re(R"(%\(([^)]*)\)s)");
    for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator();
         ++it) {
        if (!known.count((*it)[1])) return (*it)[1];
    }
    return "";
}

// Runtime headings may name several namespaces ([[a, b]]); commas inside
// a parameter's <...> do not split.
std::vector<std::string> namespace_names(const std::string& heading) {
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    for (char c : heading) {
        if (c == '<') ++depth;
        if (c == '>') --depth;
        if (c == ',' && depth == 0) {
            if (!trim(cur).empty()) out.push_back(trim(cur));
            cur.clear();
            continue;
        }
        cur += c;
    }
    if (!trim(cur).empty()) out.push_back(trim(cur));
    return out;
}

class Mapper {
  public:
    Mapper(const Section& root, const std::string& name, const std::string& source) : root_(root) {
        m_.doc.comment(
            fmt::format("Imported from {} by tock import. Settings tock has not are "
                        "kept as comments:",
                        source));
        m_.doc.comment("\"not carried over: [section]key = value: why\".");
        m_.doc.set("name", text(name));
        if (const Section* rt = root.sub("runtime")) index_runtime(*rt);
    }

    Mapped run() {
        static const std::vector<std::string> order = {"meta", "scheduler", "task parameters",
                                                       "scheduling", "runtime"};
        if (const Section* s = root_.sub("meta")) meta(*s, m_.doc.child("meta"), "[meta]");
        scheduler(root_.sub("scheduler"));
        if (const Section* s = root_.sub("task parameters")) parameters(*s);
        if (const Section* s = root_.sub("scheduling")) scheduling(*s);
        if (const Section* s = root_.sub("runtime")) runtime(*s);
        for (const auto& s : root_.subs) {
            if (std::find(order.begin(), order.end(), s->name) != order.end()) continue;
            std::string why = "not a Cylc 8 section";
            if (s->name == "cylc") {
                why =
                    "Cylc 7's section (Cylc 8's [scheduler]): upgrade the workflow to Cylc 8, "
                    "then import it";
            } else if (s->name == "visualization" || s->name == "visualisation") {
                why = "tock graph draws the graph its own way";
            }
            note_section(m_.doc, "", *s, why);
        }
        return std::move(m_);
    }

  private:
    // -- comments --
    void note(Node& at, const std::string& path, const Item& i, const std::string& why) {
        at.comment(
            fmt::format("not carried over: {}{} = {}: {}", path, i.key, shown(i.value), why));
        ++m_.not_carried;
    }

    void note_section(Node& at, const std::string& path, const Section& s, const std::string& why) {
        at.comment(fmt::format("not carried over: {}[{}]: {}", path, s.name, why));
        ++m_.not_carried;
    }

    void unknown_subs(Node& at, const std::string& path, const Section& s,
                      const std::set<std::string>& known) {
        for (const auto& sub : s.subs) {
            if (!known.count(sub->name)) note_section(at, path, *sub, kUnknown);
        }
    }

    // -- [meta] and [[[meta]]]: free mappings --
    void meta(const Section& s, Node& out, const std::string& path) {
        for (const auto& i : s.items) out.set(i.key, text(i.value));
        for (const auto& sub : s.subs) note_section(out, path, *sub, "tock's meta is flat");
    }

    // -- [scheduler] --
    void scheduler(const Section* s) {
        Node& out = m_.doc.child("scheduler");
        const std::string path = "[scheduler]";
        if (s) {
            for (const auto& i : s->items) {
                if (i.key == "UTC mode") {
                    boolean_into(out, "utc_mode", path, i);
                } else if (i.key == "allow implicit tasks") {
                    boolean_into(out, "allow_implicit_tasks", path, i);
                } else if (i.key == "cycle point format") {
                    out.set("cycle_point_format", text(i.value));
                } else if (i.key == "cycle point time zone") {
                    out.set("cycle_point_time_zone", text(i.value));
                } else if (i.key == "cycle point num expanded year digits") {
                    note(out, path, i, "tock has no expanded years (+YYYYYY)");
                } else if (i.key == "install") {
                    note(out, path, i,
                         "tock installs only the workflow file in the run directory: copy "
                         "these files there from a startup handler or the first task");
                } else if (i.key == "mail events") {
                    note(out, path, i, kMail);
                } else {
                    note(out, path, i, kUnknown);
                }
            }
            for (const auto& sub : s->subs) {
                if (sub->name == "events") continue;
                std::string why = kUnknown;
                if (sub->name == "mail") why = kMail;
                if (sub->name == "main loop") {
                    why =
                        "tock's scheduler has no main loop (and no plugins for one): it wakes "
                        "only on events";
                }
                if (sub->name == "logging") {
                    why = "tock rotates its log at 8 MiB and at each start, keeping five";
                }
                if (sub->name == "host self-identification" || sub->name == "run hosts") {
                    why =
                        "the scheduler runs where tock play starts it; clients find it through "
                        "the contact file";
                }
                note_section(out, path, *sub, why);
            }
        }
        Node& events = out.child("events");
        if (const Section* ev = s ? s->sub("events") : nullptr) {
            workflow_events(*ev, events, path + "[events]");
        }
        // Cylc 8 waits an hour on a stall, then aborts; tock's default is to
        // abort at once, so Cylc's defaults are written out.
        const bool timeout = events.find("stall_timeout"),
                   abort = events.find("abort_on_stall_timeout");
        if (!timeout || !abort) {
            events.comment(
                "Cylc 8's default, which tock does not share (tock aborts a stalled run "
                "at once):");
            if (!timeout) events.set("stall_timeout", Node::str("PT1H"));
            if (!abort) events.set("abort_on_stall_timeout", Node::plain("true"));
        }
    }

    void workflow_events(const Section& ev, Node& out, const std::string& path) {
        static const std::map<std::string, std::string> events = {
            {"startup", "startup"},
            {"shutdown", "shutdown"},
            {"abort", "abort"},
            {"stall", "stall"},
            {"stall timeout", "stall_timeout"},
            {"inactivity timeout", "inactivity_timeout"},
            {"workflow timeout", "workflow_timeout"}};
        Node handlers = Node::map();
        std::vector<std::string> handler_events;
        const Item* generic = ev.item("handlers");
        if (const Item* he = ev.item("handler events")) handler_events = split_list(he->value);
        for (const auto& i : ev.items) {
            if (i.key == "stall timeout" || i.key == "inactivity timeout" ||
                i.key == "workflow timeout") {
                std::string k = i.key;
                std::replace(k.begin(), k.end(), ' ', '_');
                out.set(k, text(i.value));
            } else if (i.key == "abort on stall timeout" ||
                       i.key == "abort on inactivity timeout" ||
                       i.key == "abort on workflow timeout") {
                std::string k = i.key;
                std::replace(k.begin(), k.end(), ' ', '_');
                boolean_into(out, k, path, i);
            } else if (i.key == "handlers" || i.key == "handler events") {
                continue;
            } else if (i.key.size() > 9 && i.key.ends_with(" handlers") &&
                       events.count(i.key.substr(0, i.key.size() - 9))) {
                handler(out, handlers, events.at(i.key.substr(0, i.key.size() - 9)), path, i,
                        kWorkflowTemplates);
            } else if (i.key == "mail events" || i.key.rfind("mail", 0) == 0) {
                note(out, path, i, kMail);
            } else if (i.key == "restart timeout") {
                note(out, path, i,
                     "tock has no restart timeout: a run restarts with tock play NAME");
            } else {
                note(out, path, i, kUnknown);
            }
        }
        if (generic) {
            for (const auto& e : handler_events) {
                auto it = events.find(e);
                if (it == events.end()) {
                    out.comment(
                        fmt::format("not carried over: {}handler events: {}: tock has no "
                                    "workflow event '{}'",
                                    path, e, e));
                    ++m_.not_carried;
                } else if (!handlers.find(it->second)) {
                    handler(out, handlers, it->second, path, *generic, kWorkflowTemplates);
                }
            }
            if (handler_events.empty()) {
                note(out, path, *generic, "no 'handler events' say when it runs");
            }
        }
        if (!handlers.empty()) out.set("handlers", std::move(handlers));
        unknown_subs(out, path, ev, {});
    }

    // One handler setting (a list of commands) for one event.
    void handler(Node& notes, Node& handlers, const std::string& event, const std::string& path,
                 const Item& i, const std::set<std::string>& known) {
        std::vector<std::string> cmds;
        for (const auto& c : split_list(i.value)) {
            const std::string cmd = modern_templates(c);
            if (const std::string bad = unknown_template(cmd, known); !bad.empty()) {
                note(notes, path, i,
                     fmt::format("tock fills no template %({})s (it fills {})", bad,
                                 fmt::join(known, ", ")));
                return;
            }
            cmds.push_back(cmd);
        }
        if (!cmds.empty()) handlers.set(event, one_or_list(cmds));
    }

    void boolean_into(Node& out, const std::string& key, const std::string& path, const Item& i) {
        if (auto b = boolean(i.value)) {
            out.set(key, Node::plain(*b ? "true" : "false"));
        } else {
            note(out, path, i, "not True or False");
        }
    }

    // -- [task parameters] --
    void parameters(const Section& s) {
        Node& out = m_.doc.child("parameters");
        static const std::regex range(
            R"(^\s*(-?[0-9]+)\s*\.\.\s*(-?[0-9]+)\s*(\.\.\s*([0-9]+)\s*)?$)");
        for (const auto& i : s.items) {
            std::smatch m;
            if (std::regex_match(i.value, m, range)) {
                out.set(i.key,
                        Node::plain(m[4].matched ? fmt::format("{}..{}..{}", m[1].str(), m[2].str(),
                                                               m[4].str())
                                                 : fmt::format("{}..{}", m[1].str(), m[2].str())));
                continue;
            }
            Node values = Node::list();
            for (const auto& v : split_list(i.value)) {
                if (std::regex_match(v, m, range)) {
                    // A range among other values: its values, one by one.
                    const long a = std::stol(m[1]), b = std::stol(m[2]);
                    const long step = m[4].matched ? std::stol(m[4]) : 1;
                    for (long x = a; step > 0 && x <= b; x += step)
                        values.push(Node::plain(std::to_string(x)));
                } else {
                    values.push(integer(v) ? Node::plain(v) : Node::str(v));
                }
            }
            out.set(i.key, std::move(values));
        }
        for (const auto& sub : s.subs) {
            if (sub->name != "templates") {
                note_section(out, "[task parameters]", *sub, kUnknown);
                continue;
            }
            Node& t = out.child("templates");
            for (const auto& i : sub->items) t.set(i.key, text(i.value));
        }
    }

    // -- [scheduling] --
    void scheduling(const Section& s) {
        Node& out = m_.doc.child("scheduling");
        const std::string path = "[scheduling]";
        const Item* mode = s.item("cycling mode");
        std::string cycling = "datetime";
        if (mode) {
            if (mode->value == "integer") {
                cycling = "integer";
            } else if (mode->value != "gregorian") {
                out.set("cycling", text("datetime"));
                out.set("calendar", text(mode->value));
            }
        }
        out.set("cycling", text(cycling));
        for (const auto& i : s.items) {
            if (i.key == "cycling mode") {
                continue;
            } else if (i.key == "initial cycle point") {
                out.set("initial", text(i.value));
            } else if (i.key == "final cycle point") {
                if (i.value.find("now") != std::string::npos ||
                    i.value.find("next(") != std::string::npos ||
                    i.value.find("previous(") != std::string::npos) {
                    note(out, path, i,
                         "tock's final point is absolute or relative to the initial point");
                } else {
                    out.set("final", text(i.value));
                }
            } else if (i.key == "initial cycle point constraints" ||
                       i.key == "final cycle point constraints") {
                note(out, path, i,
                     "tock checks no constraints on the points (the points are "
                     "carried over)");
            } else if (i.key == "runahead limit") {
                out.set("runahead", text(i.value));
            } else if (i.key == "max active cycle points") {
                if (integer(i.value) && std::stol(i.value) >= 1) {
                    out.comment(fmt::format(
                        "{}max active cycle points = {}, as Cylc 8 reads it:", path, i.value));
                    out.set("runahead", text(fmt::format("P{}", std::stol(i.value) - 1)));
                } else {
                    note(out, path, i, kCylc7);
                }
            } else if (i.key == "hold after cycle point") {
                out.set("hold_after", text(i.value));
            } else if (i.key == "stop after cycle point") {
                out.set("stop", text(i.value));
            } else if (i.key == "sequential xtriggers") {
                note(out, path, i, "tock checks each xtrigger instance on its own");
            } else {
                note(out, path, i, kUnknown);
            }
        }
        for (const auto& sub : s.subs) {
            const std::string p = path + "[" + sub->name + "]";
            if (sub->name == "queues") {
                queues(*sub, out, p);
            } else if (sub->name == "xtriggers") {
                xtriggers(*sub, out, p);
            } else if (sub->name == "special tasks") {
                special_tasks(*sub, out, p);
            } else if (sub->name == "graph") {
                graph(*sub, out, p);
            } else if (sub->name == "dependencies") {
                dependencies(*sub, out, p);
            } else {
                note_section(out, path, *sub, kUnknown);
            }
        }
    }

    void queues(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("queues");
        for (const auto& q : s.subs) {
            const std::string p = path + "[" + q->name + "]";
            if (q->name == "default") {
                for (const auto& i : q->items) {
                    note(out, p, i, "tock's default queue (tasks in no other queue) has no limit");
                }
                continue;
            }
            Node& node = out.child(q->name);
            for (const auto& i : q->items) {
                if (i.key == "limit") {
                    node.set("limit", integer(i.value) ? Node::plain(i.value) : text(i.value));
                } else if (i.key == "members") {
                    node.set("members", list_of(split_list(i.value)));
                } else {
                    note(node, p, i, kUnknown);
                }
            }
            unknown_subs(node, p, *q, {});
        }
        for (const auto& i : s.items) note(out, path, i, kUnknown);
    }

    void xtriggers(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("xtriggers");
        for (const auto& i : s.items) {
            const std::string call = modern_templates(i.value);
            if (const std::string bad = unknown_template(call, kXTriggerTemplates); !bad.empty()) {
                note(out, path, i,
                     fmt::format("tock fills no template %({})s in xtriggers (it fills {}); the "
                                 "graph's @{} needs a declaration",
                                 bad, fmt::join(kXTriggerTemplates, ", "), i.key));
                continue;
            }
            const std::string function = trim(call.substr(0, call.find('(')));
            if (function != "wall_clock" && function != "file_exists") {
                out.comment(
                    fmt::format("{}: tock play runs only wall_clock and file_exists "
                                "live; in simulation and dummy modes it is satisfied "
                                "at once",
                                function));
            }
            out.set(i.key, text(call));
        }
    }

    void special_tasks(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("special_tasks");
        static const std::regex entry(R"(^\s*([^()\s]+)\s*(\(\s*([^)]*?)\s*\))?\s*$)");
        for (const auto& i : s.items) {
            if (i.key != "clock-trigger" && i.key != "clock-expire") {
                std::string why = kUnknown;
                if (i.key == "sequential") {
                    why =
                        "tock has no sequential tasks: write foo[-P1] => foo (or the "
                        "cycle's interval) in the graph, as Cylc 8 advises";
                } else if (i.key == "external-trigger") {
                    why = "tock has no external triggers: use an xtrigger";
                }
                note(out, path, i, why);
                continue;
            }
            Node& kind = out.child(i.key == "clock-trigger" ? "clock_trigger" : "clock_expire");
            for (const auto& e : split_paren_list(i.value)) {
                std::smatch m;
                if (!std::regex_match(e, m, entry)) {
                    kind.comment(fmt::format("not carried over: {}{} = ... {}: not NAME(OFFSET)",
                                             path, i.key, e));
                    ++m_.not_carried;
                    continue;
                }
                const std::string offset =
                    m[3].matched && !m[3].str().empty() ? m[3].str() : "PT0S";
                for (const auto& task : tasks_of(m[1])) kind.set(task, text(offset));
            }
        }
    }

    static std::vector<std::string> split_paren_list(const std::string& v) {
        std::vector<std::string> out;
        std::string cur;
        int depth = 0;
        for (char c : v) {
            if (c == '(' || c == '<') ++depth;
            if (c == ')' || c == '>') --depth;
            if (c == ',' && depth == 0) {
                if (!trim(cur).empty()) out.push_back(trim(cur));
                cur.clear();
            } else {
                cur += c;
            }
        }
        if (!trim(cur).empty()) out.push_back(trim(cur));
        return out;
    }

    void graph(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("graph");
        for (const auto& i : s.items) {
            std::string key;
            for (char c : i.key) {
                if (c != ' ') key += c;
            }
            if (trim(i.value).empty()) {
                note(out, path, i, "an empty graph string");
                continue;
            }
            std::string g = i.value;
            if (!g.ends_with("\n")) g += "\n";
            out.set(key, text(g));
            m_.has_graph = true;
        }
        unknown_subs(out, path, s, {});
    }

    // Cylc 7's [[dependencies]]: graph = ... (once) or [[[RECURRENCE]]]graph.
    void dependencies(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("graph");
        out.comment(fmt::format("from Cylc 7's {}, as Cylc 8 reads it:", path));
        auto add = [&](const std::string& rec, const Item& i) {
            std::string g = i.value;
            if (!g.ends_with("\n")) g += "\n";
            out.set(rec, text(g));
            m_.has_graph = true;
        };
        for (const auto& i : s.items) {
            if (i.key == "graph") {
                add("R1", i);
            } else {
                note(out, path, i, kUnknown);
            }
        }
        for (const auto& sub : s.subs) {
            for (const auto& i : sub->items) {
                std::string key;
                for (char c : sub->name) {
                    if (c != ' ') key += c;
                }
                if (i.key == "graph") {
                    add(key, i);
                } else {
                    note(out, path + "[" + sub->name + "]", i, kUnknown);
                }
            }
        }
    }

    // -- [runtime] --
    void index_runtime(const Section& rt) {
        for (const auto& s : rt.subs) {
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

    // A family's tasks (namespaces no one inherits), or the name itself.
    std::vector<std::string> tasks_of(const std::string& name) {
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

    bool inherits(const std::string& n, const std::string& ancestor, int depth = 0) {
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
    const Item* inherited(const std::string& name, const std::string& section,
                          const std::string& key, int depth = 0) {
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

    void runtime(const Section& s) {
        Node& out = m_.doc.child("runtime");
        for (const auto& i : s.items) note(out, "[runtime]", i, kUnknown);
        for (const auto& sub : s.subs) {
            for (const auto& name : namespace_names(sub->name)) {
                name_ = name;
                namespace_(*sub, out.child(name), "[runtime][" + name + "]");
            }
        }
    }

    void namespace_(const Section& s, Node& out, const std::string& path) {
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
                note(out, path, i, why);
            }
        }
        for (const auto& sub : s.subs) {
            const std::string p = path + "[" + sub->name + "]";
            if (sub->name == "environment") {
                Node& env = out.child("environment");
                for (const auto& i : sub->items) env.set(i.key, text(i.value));
                unknown_subs(env, p, *sub, {});
            } else if (sub->name == "outputs") {
                Node& o = out.child("outputs");
                for (const auto& i : sub->items) o.set(i.key, text(i.value));
            } else if (sub->name == "directives") {
                Node& d = out.child("directives");
                for (const auto& i : sub->items) d.set(i.key, text(i.value));
            } else if (sub->name == "meta") {
                meta(*sub, out.child("meta"), p);
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
                            note(out, p, i, "tock's job runners are background, slurm and at");
                        }
                    } else if (!job_item(out, p, i)) {
                        note(out, p, i, kCylc7);
                    }
                }
            } else if (sub->name == "remote") {
                for (const auto& i : sub->items) note(out, p, i, kPlatform);
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
                note_section(out, path, *sub, why);
            }
        }
    }

    // Settings of the job itself, in a namespace or Cylc 7's [[[job]]].
    bool job_item(Node& out, const std::string& path, const Item& i) {
        if (i.key == "execution time limit") {
            out.set("time_limit", text(i.value));
        } else if (i.key == "execution retry delays" || i.key == "submission retry delays") {
            const auto delays = split_list(i.value);
            if (!delays.empty()) {
                out.child("retries").set(
                    i.key.rfind("execution", 0) == 0 ? "execution" : "submission", list_of(delays));
            }
        } else if (i.key == "execution polling intervals" ||
                   i.key == "submission polling intervals" ||
                   i.key == "execution time limit polling intervals") {
            note(out, path, i, kPolling);
        } else if (i.key == "platform") {
            if (i.value == "localhost") {
                out.set("platform", text(i.value));
            } else {
                note(out, path, i, kPlatform);
            }
        } else {
            return false;
        }
        return true;
    }

    void task_events(const Section& ev, Node& ns, const std::string& path) {
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
                handler(out, handlers, events.at(i.key.substr(0, i.key.size() - 9)), path, i,
                        kTaskTemplates);
            } else if (i.key.rfind("mail", 0) == 0) {
                note(out, path, i, kMail);
            } else if (i.key == "late offset" || i.key == "late handlers") {
                note(out, path, i, "tock has no late events");
            } else {
                note(out, path, i, kUnknown);
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
                        ++m_.not_carried;
                        continue;
                    }
                    if (!handlers.find(event)) {
                        handler(out, handlers, event, path, *generic, kTaskTemplates);
                    }
                }
            } else if (const Item* i = ev.item("handlers")) {
                note(out, path, *i, "no 'handler events' say when it runs");
            }
        }
        if (!handlers.empty()) out.set("handlers", std::move(handlers));
        unknown_subs(out, path, ev, {});
        if (!out.bare()) ns.set("events", std::move(out));
    }

    void simulation(const Section& s, Node& ns, const std::string& path) {
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
                boolean_into(out, "fail_try_1_only", path, i);
            } else if (i.key == "speedup factor") {
                note(out, path, i, "tock simulates the run length as given (--fast: no waiting)");
            } else if (i.key == "time limit buffer") {
                note(out, path, i, "tock's simulated jobs take their run length");
            } else if (i.key == "disable task event handlers") {
                note(out, path, i, "tock runs event handlers in every mode");
            } else {
                note(out, path, i, kUnknown);
            }
        }
    }

    const Section& root_;
    Mapped m_;
    std::map<std::string, std::vector<const Section*>> sections_;
    std::map<std::string, std::vector<std::string>> parents_;
    std::string name_;
};

}  // namespace

Mapped to_tock(const Section& root, const std::string& name, const std::string& source) {
    return Mapper(root, name, source).run();
}

}  // namespace tock::cylc
