#include "tools/workflow_cmds.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "config/workflow.hpp"
#include "scheduler/process.hpp"
#include "scheduler/scope.hpp"

namespace tock::cmd {

using namespace tock::config;

namespace {

// Load, or print every error and return nullopt.
std::optional<Workflow> load(const std::string& file, const Vars& vars) {
    try {
        Overrides ov;
        ov.vars = vars;
        return Workflow::load(file, ov);
    } catch (const ConfigErrors& e) {
        for (const auto& d : e.errors)
            fmt::print(stderr, "{}: error: {}\n", d.where.str(), d.message);
        fmt::print(stderr, "{}: {} error{}\n", file, e.errors.size(),
                   e.errors.size() == 1 ? "" : "s");
        return std::nullopt;
    }
}

// How many points a section has up to the final point ("unbounded" if none).
std::string count_points(const Workflow& wf, const GraphSection& gs) {
    constexpr std::size_t cap = 10000;
    std::size_t n = 0;  // scheduling.exclusions are the sequence's own
    auto p = gs.sequence.first_at_or_after(wf.initial);
    for (; p && (!wf.final || *p <= *wf.final) && n < cap; p = gs.sequence.next_after(*p)) ++n;
    if (p && n == cap && (!wf.final || *p <= *wf.final))
        return wf.final ? "over 10000 cycles" : "unbounded";
    return fmt::format("{} cycle{}", n, n == 1 ? "" : "s");
}

std::string id(const Workflow& wf, Point p, const std::string& task) {
    return wf.cycling.format(p) + "/" + task;
}

std::string render(const Workflow& wf, const Prereq& pr, bool top) {
    if (pr.kind == Prereq::Kind::trigger) {
        const Trigger& t = pr.trigger;
        if (!t.xtrigger.empty()) return "@" + t.xtrigger;
        std::string s = id(wf, t.point, t.task) + ":" + t.output;
        if (t.pre_initial) s += "(pre-initial)";
        return s;
    }
    std::string sep = pr.kind == Prereq::Kind::all_of ? " & " : " | ";
    std::string out;
    for (std::size_t i = 0; i < pr.children.size(); ++i) {
        if (i) out += sep;
        out += render(wf, pr.children[i], false);
    }
    return top || pr.children.size() < 2 ? out : "(" + out + ")";
}

// Every trigger leaf of a prerequisite tree.
void leaves(const Prereq& pr, const std::function<void(const Trigger&)>& f) {
    if (pr.kind == Prereq::Kind::trigger) {
        f(pr.trigger);
        return;
    }
    for (const auto& c : pr.children) leaves(c, f);
}

}  // namespace

std::optional<Vars> read_vars(const VarOptions& o, std::string& why) {
    Vars out;
    auto take = [&](const std::string& entry, const std::string& where) {
        const auto eq = entry.find('=');
        std::string key = entry.substr(0, eq);
        while (!key.empty() && key.back() == ' ') key.pop_back();
        if (eq == std::string::npos || key.empty()) {
            why = fmt::format("{}'{}': write KEY=VALUE", where, entry);
            return false;
        }
        out[key] = entry.substr(eq + 1);
        return true;
    };
    for (const auto& f : o.files) {
        std::ifstream in(f);
        if (!in) {
            why = fmt::format("--set-file {}: cannot read it", f);
            return std::nullopt;
        }
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            const auto first = line.find_first_not_of(" \t");
            if (first == std::string::npos || line[first] == '#') continue;
            if (!take(line.substr(first), fmt::format("--set-file {}:{}: ", f, n)))
                return std::nullopt;
        }
    }
    for (const auto& s : o.sets) {
        if (!take(s, "--set ")) return std::nullopt;
    }
    return out;
}

int validate(const std::string& file, const Vars& vars) {
    auto wf = load(file, vars);
    if (!wf) return 1;
    for (const auto& d : wf->warnings)
        fmt::print(stderr, "{}: warning: {}\n", d.where.str(), d.message);
    std::vector<std::string> sections;
    for (const auto& gs : wf->graph)
        sections.push_back(fmt::format("{}: {}", gs.recurrence, count_points(*wf, gs)));
    std::string joined;
    for (std::size_t i = 0; i < sections.size(); ++i) joined += (i ? "; " : "") + sections[i];
    fmt::print("{}: valid: workflow '{}', {} task{}, {} famil{}; {}\n", file, wf->name,
               wf->tasks.size(), wf->tasks.size() == 1 ? "" : "s", wf->families.size(),
               wf->families.size() == 1 ? "y" : "ies", joined);
    return 0;
}

int list(const std::string& file, bool tree, const Vars& vars) {
    auto wf = load(file, vars);
    if (!wf) return 1;
    if (!tree) {
        for (const auto& t : wf->tasks) fmt::print("{}\n", t);
        return 0;
    }
    // The family tree by first parent, as cylc list --tree draws it; a task
    // with several parents is drawn under each.
    std::map<std::string, std::vector<std::string>> children;
    for (const auto& [name, rt] : wf->runtime) {
        if (name == "root") continue;
        if (!rt.is_family && !wf->is_task(name)) continue;  // defined but unused
        for (const auto& p : rt.parents) children[p].push_back(name);
    }
    std::function<void(const std::string&, const std::string&)> draw =
        [&](const std::string& n, const std::string& indent) {
            auto& kids = children[n];
            for (std::size_t i = 0; i < kids.size(); ++i) {
                const bool last = i + 1 == kids.size();
                fmt::print("{}{}{}\n", indent, last ? "└─ " : "├─ ", kids[i]);
                draw(kids[i], indent + (last ? "   " : "│  "));
            }
        };
    fmt::print("root\n");
    draw("root", "");
    return 0;
}

int graph(const GraphOptions& o) {
    auto wf = load(o.file, o.vars);
    if (!wf) return 1;
    Point from, to;
    try {
        from = o.from ? wf->cycling.parse_point_expr(*o.from, wf->initial, wf->cycling.now())
                      : wf->initial;
        if (o.to) {
            to = wf->cycling.parse_point_expr(*o.to, wf->initial, wf->cycling.now());
        } else {
            // Default: ten cycle points, or up to the final point if sooner.
            to = from;
            auto p = wf->next_point(Point{from.value - 1});
            for (int i = 0; p && i < 10; ++i, p = wf->next_point(*p)) to = *p;
            if (wf->final && *wf->final < to) to = *wf->final;
        }
    } catch (const ParseError& e) {
        fmt::print(stderr, "tock graph: bad cycle point: {}\n", e.what());
        return 2;
    }
    std::vector<TaskAt> all;
    std::optional<Point> p = wf->next_point(Point{from.value - 1});  // the first at or after from
    for (std::size_t n = 0; p && *p <= to && n < 100000; ++n, p = wf->next_point(*p)) {
        if (wf->final && *p > *wf->final) break;
        auto at = wf->tasks_at(*p);
        all.insert(all.end(), at.begin(), at.end());
    }
    if (o.format == "text") {
        for (const auto& t : all) {
            fmt::print("{}", id(*wf, t.point, t.name));
            for (std::size_t i = 0; i < t.prereqs.size(); ++i) {
                fmt::print("{}{}",
                           i ? " & " : " <= ", render(*wf, t.prereqs[i], t.prereqs.size() == 1));
            }
            // Suicide triggers: what removes the task.
            for (std::size_t i = 0; i < t.suicide.size(); ++i) {
                fmt::print("{}{}",
                           i ? " & " : " !<= ", render(*wf, t.suicide[i], t.suicide.size() == 1));
            }
            fmt::print("\n");
        }
        return 0;
    }
    if (o.format != "dot" && o.format != "svg") {
        fmt::print(stderr, "tock graph: unknown format '{}': use text, dot or svg\n", o.format);
        return 2;
    }
    std::string dot = fmt::format(
        "digraph \"{}\" {{\n  rankdir=TB;\n  node [shape=box, style=rounded];\n", wf->name);
    std::set<std::string> nodes;
    for (const auto& t : all) nodes.insert(id(*wf, t.point, t.name));
    for (const auto& n : nodes) dot += fmt::format("  \"{}\";\n", n);
    std::set<std::string> edges;
    for (const auto& t : all) {
        for (const auto& pr : t.prereqs) {
            leaves(pr, [&](const Trigger& tr) {
                if (!tr.xtrigger.empty()) {
                    edges.insert(fmt::format("  \"@{}\" -> \"{}\" [style=dashed];\n", tr.xtrigger,
                                             id(*wf, t.point, t.name)));
                    return;
                }
                const std::string up = id(*wf, tr.point, tr.task);
                const bool dotted = tr.output != "succeeded";
                edges.insert(fmt::format("  \"{}\" -> \"{}\"{};\n", up, id(*wf, t.point, t.name),
                                         dotted ? fmt::format(" [label=\"{}\"]", tr.output) : ""));
            });
        }
    }
    // Suicide triggers: dashed, ending in a dot, as Cylc draws them.
    for (const auto& t : all) {
        for (const auto& pr : t.suicide) {
            leaves(pr, [&](const Trigger& tr) {
                if (!tr.xtrigger.empty()) return;
                const bool labelled = tr.output != "succeeded";
                edges.insert(fmt::format("  \"{}\" -> \"{}\" [style=dashed, arrowhead=dot{}];\n",
                                         id(*wf, tr.point, tr.task), id(*wf, t.point, t.name),
                                         labelled ? fmt::format(", label=\"{}\"", tr.output) : ""));
            });
        }
    }
    for (const auto& e : edges) dot += e;
    dot += "}\n";
    if (o.format == "dot") {
        fmt::print("{}", dot);
        return 0;
    }
    // SVG through graphviz's dot, when it is installed.
    const std::string out = o.output.value_or(wf->name + ".svg");
    const std::string dot_file = out + ".dot";
    if (FILE* f = std::fopen(dot_file.c_str(), "w")) {
        std::fputs(dot.c_str(), f);
        std::fclose(f);
    } else {
        fmt::print(stderr, "tock graph: cannot write {}\n", dot_file);
        return 1;
    }
    Loop loop;
    int rc = 0;
    try {
        rc = run_until(loop, [](Loop& l, std::string in, std::string out) -> Task<int> {
            Process p = Process::spawn(l, {.argv = {"dot", "-Tsvg", "-o", out, in}});
            ExitStatus st = co_await p.wait();
            co_return st.ok() ? 0 : 1;
        }(loop, dot_file, out));
    } catch (const std::system_error&) {
        std::remove(dot_file.c_str());
        fmt::print(stderr,
                   "tock graph: SVG needs graphviz's 'dot', which is not installed "
                   "(apt-get install graphviz); --format dot writes the graph without it\n");
        return 1;
    }
    std::remove(dot_file.c_str());
    if (rc != 0) {
        fmt::print(stderr, "tock graph: dot failed to write {}\n", out);
        return 1;
    }
    fmt::print("wrote {}\n", out);
    return 0;
}

}  // namespace tock::cmd
