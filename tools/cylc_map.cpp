#include "tools/cylc_map.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "config/workflow.hpp"
#include "tools/cylc_map_parts.hpp"

namespace tock::cylc {

namespace {

using namespace parts;

class Mapper {
  public:
    Mapper(const Section& root, const std::string& name, const std::string& source)
        : root_(root), runtime_(root.sub("runtime"), root.sub("task parameters"), n_) {
        m_.doc.comment(
            fmt::format("Imported from {} by tock import. Settings tock has not are "
                        "kept as comments:",
                        source));
        m_.doc.comment("\"not carried over: [section]key = value: why\".");
        m_.doc.set("name", text(name));
    }

    Mapped run() {
        static const std::vector<std::string> order = {"meta", "scheduler", "task parameters",
                                                       "scheduling", "runtime"};
        if (const Section* s = root_.sub("meta")) n_.meta(*s, m_.doc.child("meta"), "[meta]");
        scheduler(root_.sub("scheduler"));
        if (const Section* s = root_.sub("task parameters")) parameters(*s);
        if (const Section* s = root_.sub("scheduling")) scheduling(*s);
        if (root_.sub("runtime")) runtime_.write(m_.doc.child("runtime"));
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
            n_.note_section(m_.doc, "", *s, why);
        }
        m_.not_carried = n_.count;
        return std::move(m_);
    }

  private:
    // -- [scheduler] --
    void scheduler(const Section* s) {
        Node& out = m_.doc.child("scheduler");
        const std::string path = "[scheduler]";
        if (s) {
            for (const auto& i : s->items) {
                if (i.key == "UTC mode") {
                    n_.boolean_into(out, "utc_mode", path, i);
                } else if (i.key == "allow implicit tasks") {
                    n_.boolean_into(out, "allow_implicit_tasks", path, i);
                } else if (i.key == "cycle point format") {
                    if (i.value.find(':') != std::string::npos) {
                        n_.note(out, path, i,
                                "':' cannot be in a tock cycle point (it separates a task from "
                                "its state in task ids): points are written CCYYMMDDThhmmZ");
                    } else {
                        out.set("cycle_point_format", text(i.value));
                    }
                } else if (i.key == "cycle point time zone") {
                    out.set("cycle_point_time_zone", text(i.value));
                } else if (i.key == "cycle point num expanded year digits") {
                    n_.note(out, path, i, "tock has no expanded years (+YYYYYY)");
                } else if (i.key == "install") {
                    n_.note(out, path, i,
                            "tock installs only the workflow file in the run directory: copy "
                            "these files there from a startup handler or the first task");
                } else if (i.key == "mail events") {
                    n_.note(out, path, i, kMail);
                } else {
                    n_.note(out, path, i, kUnknown);
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
                n_.note_section(out, path, *sub, why);
            }
        }
        const Section* sched = root_.sub("scheduling");
        const Item* mode = sched ? sched->item("cycling mode") : nullptr;
        const bool integer = (mode && mode->value == "integer") || !sched || acyclic_graph(*sched);
        if ((!s || (!s->item("UTC mode") && !s->item("cycle point time zone"))) && !integer) {
            out.comment(
                "note: without UTC mode = True, Cylc 8 reads points without a zone in "
                "this machine's time zone; tock reads them in UTC unless utc_mode: false");
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
                n_.boolean_into(out, k, path, i);
            } else if (i.key == "handlers" || i.key == "handler events") {
                continue;
            } else if (i.key.size() > 9 && i.key.ends_with(" handlers") &&
                       events.count(i.key.substr(0, i.key.size() - 9))) {
                n_.handler(out, handlers, events.at(i.key.substr(0, i.key.size() - 9)), path, i,
                           kWorkflowTemplates);
            } else if (i.key == "mail events" || i.key.rfind("mail", 0) == 0) {
                n_.note(out, path, i, kMail);
            } else if (i.key == "restart timeout") {
                n_.note(out, path, i,
                        "tock has no restart timeout: a run restarts with tock play NAME");
            } else {
                n_.note(out, path, i, kUnknown);
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
                    ++n_.count;
                } else if (!handlers.find(it->second)) {
                    n_.handler(out, handlers, it->second, path, *generic, kWorkflowTemplates);
                }
            }
            if (handler_events.empty()) {
                n_.note(out, path, *generic, "no 'handler events' say when it runs");
            }
        }
        if (!handlers.empty()) out.set("handlers", std::move(handlers));
        n_.unknown_subs(out, path, ev, {});
    }

    // Cylc's A..B or A..B..STEP (blanks allowed); step 0 if not given.
    static bool range(const std::string& v, long& a, long& b, long& step) {
        std::string t;
        for (char c : v) {
            if (c != ' ' && c != '\t') t += c;
        }
        std::vector<std::string> parts;
        for (std::size_t at = 0;;) {
            const auto dots = t.find("..", at);
            parts.push_back(
                t.substr(at, dots == std::string::npos ? std::string::npos : dots - at));
            if (dots == std::string::npos) break;
            at = dots + 2;
        }
        if (parts.size() < 2 || parts.size() > 3) return false;
        for (std::size_t k = 0; k < parts.size(); ++k) {
            const std::string& p = parts[k];
            const std::size_t digits = (k < 2 && !p.empty() && p[0] == '-') ? 1 : 0;
            if (p.size() <= digits || p.size() > 15 ||
                p.find_first_not_of("0123456789", digits) != std::string::npos) {
                return false;
            }
        }
        a = std::stol(parts[0]);
        b = std::stol(parts[1]);
        step = parts.size() == 3 ? std::stol(parts[2]) : 0;
        return parts.size() == 2 || step > 0;
    }

    // -- [task parameters] --
    void parameters(const Section& s) {
        Node& out = m_.doc.child("parameters");
        for (const auto& i : s.items) {
            long a = 0, b = 0, step = 0;
            if (range(i.value, a, b, step)) {
                out.set(i.key, Node::plain(step ? fmt::format("{}..{}..{}", a, b, step)
                                                : fmt::format("{}..{}", a, b)));
                continue;
            }
            Node values = Node::list();
            for (const auto& v : split_list(i.value)) {
                if (range(v, a, b, step)) {
                    // A range among other values: its values, one by one.
                    for (long x = a; x <= b; x += step ? step : 1) {
                        values.push(Node::plain(std::to_string(x)));
                    }
                } else {
                    values.push(integer(v) ? Node::plain(v) : Node::str(v));
                }
            }
            out.set(i.key, std::move(values));
        }
        for (const auto& sub : s.subs) {
            if (sub->name != "templates") {
                n_.note_section(out, "[task parameters]", *sub, kUnknown);
                continue;
            }
            Node& t = out.child("templates");
            for (const auto& i : sub->items) t.set(i.key, text(i.value));
        }
    }

    // Cylc runs a graph of R1 alone, with no cycling mode and no initial
    // point (or 1), once, at integer point 1.
    static bool acyclic_graph(const Section& s) {
        const Item* icp = s.item("initial cycle point");
        if (s.item("cycling mode") || (icp && trim(icp->value) != "1")) return false;
        for (const char* section : {"graph", "dependencies"}) {
            const Section* g = s.sub(section);
            if (!g) continue;
            for (const auto& i : g->items) {
                if (i.key != "R1" && i.key != "1" && i.key != "graph") return false;
            }
            for (const auto& sub : g->subs) {
                if (sub->name != "R1" && sub->name != "1") return false;
            }
        }
        return true;
    }

    // A point expression as tock reads it: Cylc allows blanks in it
    // ("previous(T00) - PT2H"), tock does not.
    static std::string point(const std::string& v) {
        std::string out;
        for (char c : v) {
            if (c != ' ' && c != '\t') out += c;
        }
        return out;
    }

    // -- [scheduling] --
    void scheduling(const Section& s) {
        Node& out = m_.doc.child("scheduling");
        const std::string path = "[scheduling]";
        // Cylc's cycling mode is tock's cycling and calendar in one; always
        // written, as Cylc's default (gregorian) is not tock's guess.
        const Item* mode = s.item("cycling mode");
        const Item* icp = s.item("initial cycle point");
        const bool acyclic = acyclic_graph(s);
        const bool integer_mode = (mode && mode->value == "integer") || acyclic;
        if (acyclic) {
            out.comment(
                "a graph of R1 alone, with no cycling mode: Cylc runs it once, at "
                "integer point 1");
        }
        out.set("cycling", text(integer_mode ? "integer" : "datetime"));
        if (acyclic) {
            if (!icp) out.set("initial", Node::plain("1"));
            if (!s.item("final cycle point")) out.set("final", Node::plain("1"));
        }
        for (const auto& i : s.items) {
            if (i.key == "cycling mode") {
                static const std::set<std::string> calendars = {"gregorian", "360day", "365day",
                                                                "366day"};
                if (!integer_mode && !calendars.count(i.value)) {
                    n_.note(out, path, i,
                            "not a Cylc 8 cycling mode (integer, gregorian, "
                            "360day, 365day or 366day)");
                } else if (!integer_mode && i.value != "gregorian") {
                    out.set("calendar", text(i.value));
                }
            } else if (i.key == "initial cycle point") {
                out.set("initial", text(point(i.value)));
            } else if (i.key == "final cycle point") {
                if (i.value.find("now") != std::string::npos ||
                    i.value.find("next(") != std::string::npos ||
                    i.value.find("previous(") != std::string::npos) {
                    n_.note(out, path, i,
                            "tock's final point is absolute or relative to the initial point");
                } else {
                    out.set("final", text(point(i.value)));
                }
            } else if (i.key == "initial cycle point constraints" ||
                       i.key == "final cycle point constraints") {
                n_.note(out, path, i,
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
                    n_.note(out, path, i, kCylc7);
                }
            } else if (i.key == "hold after cycle point") {
                out.set("hold_after", text(point(i.value)));
            } else if (i.key == "stop after cycle point") {
                out.set("stop", text(point(i.value)));
            } else if (i.key == "sequential xtriggers") {
                n_.note(out, path, i, "tock checks each xtrigger instance on its own");
            } else {
                n_.note(out, path, i, kUnknown);
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
                n_.note_section(out, path, *sub, kUnknown);
            }
        }
    }

    void queues(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("queues");
        for (const auto& q : s.subs) {
            const std::string p = path + "[" + q->name + "]";
            if (q->name == "default") {
                for (const auto& i : q->items) {
                    n_.note(out, p, i,
                            "tock's default queue (tasks in no other queue) has no limit");
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
                    n_.note(node, p, i, kUnknown);
                }
            }
            n_.unknown_subs(node, p, *q, {});
        }
        for (const auto& i : s.items) n_.note(out, path, i, kUnknown);
    }

    void xtriggers(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("xtriggers");
        for (const auto& i : s.items) {
            const std::string call = modern_templates(i.value);
            if (const std::string bad = unknown_template(call, kXTriggerTemplates); !bad.empty()) {
                n_.note(out, path, i,
                        fmt::format("tock fills no template {} in xtriggers (it fills {}); the "
                                    "graph's @{} needs a declaration",
                                    bad, fmt::join(kXTriggerTemplates, ", "), i.key));
                continue;
            }
            const std::string function = trim(call.substr(0, call.find('(')));
            if (!config::builtin_xtrigger(function)) {
                out.comment(fmt::format(
                    "{}: not built into tock: a plugin program tock-trigger-{} serves it "
                    "(docs/plugins.md), in the workflow's bin/, plugins.path or PATH",
                    function, function));
            }
            out.set(i.key, text(call));
        }
    }

    void special_tasks(const Section& s, Node& sched, const std::string& path) {
        Node& out = sched.child("special_tasks");
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
                n_.note(out, path, i, why);
                continue;
            }
            Node& kind = out.child(i.key == "clock-trigger" ? "clock_trigger" : "clock_expire");
            for (const auto& e : split_paren_list(i.value)) {
                // NAME or NAME(OFFSET)
                const auto open = e.find('(');
                const std::string name = trim(e.substr(0, open));
                std::string offset = "PT0S";
                bool ok = !name.empty() && name.find_first_of(" \t)") == std::string::npos;
                if (open != std::string::npos) {
                    const auto close = e.find(')', open);
                    ok = ok && close != std::string::npos && trim(e.substr(close + 1)).empty();
                    if (ok && !trim(e.substr(open + 1, close - open - 1)).empty()) {
                        offset = trim(e.substr(open + 1, close - open - 1));
                    }
                }
                if (!ok) {
                    kind.comment(fmt::format("not carried over: {}{} = ... {}: not NAME(OFFSET)",
                                             path, i.key, e));
                    ++n_.count;
                    continue;
                }
                for (const auto& task : runtime_.tasks_of(name)) kind.set(task, text(offset));
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
                n_.note(out, path, i, "an empty graph string");
                continue;
            }
            std::string g = i.value;
            if (!g.ends_with("\n")) g += "\n";
            out.set(key, text(g));
            m_.has_graph = true;
        }
        n_.unknown_subs(out, path, s, {});
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
                n_.note(out, path, i, kUnknown);
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
                    n_.note(out, path + "[" + sub->name + "]", i, kUnknown);
                }
            }
        }
    }

    const Section& root_;
    Mapped m_;
    Notes n_;
    Runtime runtime_;
};

}  // namespace

Mapped to_tock(const Section& root, const std::string& name, const std::string& source) {
    return Mapper(root, name, source).run();
}

}  // namespace tock::cylc
