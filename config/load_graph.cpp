// The loader's graph: each section's recurrence and dependencies, task
// parameters expanded, scheduling.exclusions, and every name resolved.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>

#include "config/loader.hpp"

namespace tock::config::detail {

void Loader::graph(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) {
        r_.error(Location{r_.file(), 1, 1},
                 "scheduling.graph is missing: add at least one "
                 "recurrence, e.g. graph: {R1: foo => bar}");
        return;
    }
    if (!n.IsMap()) {
        r_.error(n, "scheduling.graph maps recurrences to graph strings, e.g. T00: foo => bar");
        return;
    }
    if (n.size() == 0) {
        r_.error(n, "scheduling.graph is empty: add a recurrence, e.g. R1: foo => bar");
        return;
    }
    if (!have_initial_) return;
    const Cycling& cy = wf_.cycling;
    std::set<std::string> headings;
    for (const auto& kv : n) {
        if (!headings.insert(kv.first.Scalar()).second) {
            r_.error(kv.first,
                     fmt::format("the recurrence '{}' appears twice in the graph: put all "
                                 "its lines under one key",
                                 kv.first.Scalar()));
            continue;
        }
        GraphSection gs;
        gs.recurrence = kv.first.Scalar();
        gs.where = r_.loc(kv.first);
        try {
            gs.sequence = cy.parse_sequence(gs.recurrence, wf_.initial, wf_.final);
            // scheduling.exclusions are every section's own.
            for (const Point p : wf_.excluded_points) gs.sequence.exclude(p);
            for (const auto& x : wf_.excluded_sequences) gs.sequence.exclude(x);
        } catch (const ParseError& e) {
            r_.error(e.offset < gs.recurrence.size() ? r_.inside(kv.first, e.offset) : gs.where,
                     fmt::format("recurrence '{}': {}", gs.recurrence, e.what()));
            continue;
        }
        auto text = r_.str(kv.second, "a graph string");
        if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) {
            if (!text && kv.second.IsScalar() == false && !kv.second.IsNull()) continue;
            r_.error(kv.first, fmt::format("the graph of '{}' is empty: give it a line such as "
                                           "foo => bar, or remove it",
                                           gs.recurrence));
            continue;
        }
        try {
            gs.deps = parse_graph(*text);
        } catch (const ParseError& e) {
            r_.error(r_.inside(kv.second, e.offset), e.what());
            continue;
        }
        sections_nodes_.push_back(kv.second);
        wf_.graph.push_back(std::move(gs));
        expand_parameters(wf_.graph.size() - 1);
    }
    resolve_names();
    // Every graph node knows where it is written (Trigger::source).
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        std::function<void(Expr&)> number = [&](Expr& e) {
            if (e.kind == Expr::Kind::node) {
                e.node.source = source(s, e.node);
                return;
            }
            for (auto& c : e.children) number(c);
        };
        for (auto& d : wf_.graph[s].deps) {
            if (d.left) number(*d.left);
            d.right.source = source(s, d.right);
        }
    }
}

// Expand task parameters in one section's dependencies, as Cylc does line
// by line: a dependency is written once for each choice of the
// parameters it leaves free (model<member> => post<member>: one per
// member). A node whose offset falls outside the values
// (model<member-1> at the first member) is dropped from the left side;
// a dependency whose right node falls outside is dropped whole.
void Loader::expand_parameters(std::size_t s) {
    auto& deps = wf_.graph[s].deps;
    const bool any = std::any_of(deps.begin(), deps.end(), [](const Dependency& d) {
        bool p = d.right.name.find('<') != std::string::npos;
        if (d.left)
            for_each_node(
                *d.left, [&](const NodeRef& r) { p = p || r.name.find('<') != std::string::npos; });
        return p;
    });
    if (!any) return;
    std::vector<Dependency> out;
    for (const auto& d : deps) {
        std::map<std::string, ParamName> names;  // parameterised name -> parsed
        std::vector<std::string> free;
        bool ok = true;
        auto look = [&](const NodeRef& r) {
            if (r.xtrigger || r.name.find_first_of("<>") == std::string::npos) return;
            if (names.count(r.name)) return;
            try {
                ParamName pn = parse_param_name(r.name);
                if (auto why = check_param_name(pn); !why.empty()) {
                    if (why != kReported)
                        r_.error(node_loc(s, r), fmt::format("'{}': {}", r.name, why));
                    ok = false;
                    return;
                }
                // An offset as large as the range selects nothing: allowed (a
                // test run with --set may have one member), but named.
                for (const auto& g : pn.groups) {
                    for (const auto& sp : g) {
                        const auto count = wf_.parameters.at(sp.param).values.size();
                        if (sp.kind != ParamSpec::Kind::offset ||
                            static_cast<std::size_t>(std::labs(sp.offset)) < count)
                            continue;
                        wf_.warnings.push_back(
                            {node_loc(s, r),
                             fmt::format("'{}': the offset is outside the range: '{}' has {} "
                                         "value{}, so no member has one {} away and this "
                                         "node is always left out",
                                         r.name, sp.param, count, count == 1 ? "" : "s",
                                         std::labs(sp.offset))});
                    }
                }
                for (const auto& f : pn.free_params()) {
                    if (std::find(free.begin(), free.end(), f) == free.end()) free.push_back(f);
                }
                names.emplace(r.name, std::move(pn));
            } catch (const ParseError& e) {
                r_.error(node_loc(s, r), fmt::format("'{}': {}", r.name, e.what()));
                ok = false;
            }
        };
        if (d.left) for_each_node(*d.left, look);
        look(d.right);
        if (!ok) continue;
        if (names.empty()) {
            out.push_back(d);
            continue;
        }
        for (const auto& b : bindings(free, wf_.parameters)) {
            auto name_of = [&](const NodeRef& r) -> std::optional<std::string> {
                auto it = names.find(r.name);
                if (it == names.end()) return r.name;
                auto c = instantiate(it->second, wf_.parameters, b);
                if (c) note_values(*c, it->second, b);
                return c;
            };
            const auto right = name_of(d.right);
            if (!right) continue;
            Dependency e;
            e.right = d.right;
            e.right.name = *right;
            if (d.left) e.left = instantiate_expr(*d.left, name_of);
            out.push_back(std::move(e));
        }
    }
    deps = std::move(out);
}

// A copy of e with each node renamed; nodes with no name are left out.
std::optional<Expr> Loader::instantiate_expr(
    const Expr& e, const std::function<std::optional<std::string>(const NodeRef&)>& name_of) {
    if (e.kind == Expr::Kind::node) {
        auto n = name_of(e.node);
        if (!n) return std::nullopt;
        Expr c = e;
        c.node.name = *n;
        return c;
    }
    Expr c;
    c.kind = e.kind;
    for (const auto& child : e.children) {
        if (auto x = instantiate_expr(child, name_of)) c.children.push_back(std::move(*x));
    }
    if (c.children.empty()) return std::nullopt;
    if (c.children.size() == 1) return std::move(c.children.front());
    return c;
}

// scheduling.exclusions: points or recurrences left out of every section.
void Loader::exclusions() {
    const Cycling& cy = wf_.cycling;
    for (std::size_t i = 0; i < wf_.exclusions.size(); ++i) {
        const std::string& ex = wf_.exclusions[i];
        try {
            wf_.excluded_points.push_back(cy.parse_point(ex));
            continue;
        } catch (const ParseError&) {
        }
        try {
            wf_.excluded_sequences.push_back(cy.parse_sequence(ex, wf_.initial, wf_.final));
        } catch (const ParseError& e) {
            r_.error(exclusion_nodes_[i], fmt::format("exclusion '{}' is neither a cycle point nor "
                                                      "a recurrence: {}",
                                                      ex, e.what()));
        }
    }
}

Location Loader::node_loc(std::size_t section, const NodeRef& ref) {
    return r_.inside_lc(sections_nodes_[section], ref.line - 1, ref.col - 1);
}

int Loader::source(std::size_t section, const NodeRef& ref) {
    wf_.sources.push_back(node_loc(section, ref));
    return static_cast<int>(wf_.sources.size() - 1);
}

void Loader::resolve_names() {
    std::set<std::string> tasks;
    std::vector<std::string> known;
    for (auto& [name, rt] : wf_.runtime) known.push_back(name);
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        auto& gs = wf_.graph[s];
        for (const auto& d : gs.deps) {
            auto check_node = [&](const NodeRef& ref, bool left) {
                if (ref.xtrigger) {
                    const auto decl = wf_.xtriggers.find(ref.name);
                    const bool clock = decl != wf_.xtriggers.end()
                                           ? decl->second.function == "wall_clock"
                                           : ref.name == "wall_clock";
                    if (clock && settings_.mode != CyclingMode::datetime) {
                        r_.error(node_loc(s, ref),
                                 fmt::format("'@{}' is a wall-clock trigger, which "
                                             "needs date-time cycling",
                                             ref.name));
                    } else if (clock && settings_.calendar != Calendar::gregorian) {
                        r_.error(node_loc(s, ref),
                                 fmt::format("'@{}' is a wall-clock trigger, which needs "
                                             "the gregorian calendar: {}",
                                             ref.name, kNotWallClock));
                    }
                    if (!wf_.xtriggers.count(ref.name) && ref.name != "wall_clock") {
                        std::vector<std::string> labels;
                        for (auto& [l, x] : wf_.xtriggers) labels.push_back(l);
                        r_.error(node_loc(s, ref),
                                 fmt::format("xtrigger '@{}' is not defined{}: add it under "
                                             "scheduling.xtriggers",
                                             ref.name, did_you_mean(ref.name, labels)));
                    }
                    return;
                }
                const bool family = wf_.is_family(ref.name);
                const bool family_q =
                    ref.qualifier.ends_with("-all") || ref.qualifier.ends_with("-any");
                if (family && family_q) {
                    const std::string q = ref.qualifier.substr(0, ref.qualifier.rfind('-'));
                    const auto& known = builtin_qualifiers();
                    if (std::find(known.begin(), known.end(), q) == known.end()) {
                        r_.error(
                            node_loc(s, ref),
                            fmt::format("unknown family trigger ':{}': use succeed, fail, finish, "
                                        "start, submit, submit-fail or expire, with -all or -any",
                                        ref.qualifier));
                    }
                }
                if (family) {
                    const auto m = wf_.members(ref.name);
                    if (m.empty()) {
                        r_.error(node_loc(s, ref),
                                 fmt::format("family '{}' has no tasks: give it a "
                                             "task that inherits it",
                                             ref.name));
                    }
                    tasks.insert(m.begin(), m.end());
                    if (left && !family_q) {
                        r_.error(
                            node_loc(s, ref),
                            fmt::format("'{}' is a family: on the left of => write "
                                        "{}:succeed-all or {}:succeed-any (or another -all/-any "
                                        "trigger)",
                                        ref.name, ref.name, ref.name));
                    }
                    return;
                }
                if (family_q) {
                    r_.error(node_loc(s, ref),
                             fmt::format("'{}:{}' is a family trigger but '{}' is not a family{}",
                                         ref.name, ref.qualifier, ref.name,
                                         did_you_mean(ref.name, wf_.families)));
                    return;
                }
                if (auto rt = wf_.runtime.find(ref.name); rt == wf_.runtime.end()) {
                    if (!wf_.allow_implicit_tasks) {
                        r_.error(
                            node_loc(s, ref),
                            fmt::format("task '{}' is in the graph but not in runtime{}: add it "
                                        "to runtime, or set scheduler.allow_implicit_tasks",
                                        ref.name, did_you_mean(ref.name, known)));
                        return;
                    }
                }
                if (ref.name == "root") {
                    r_.error(node_loc(s, ref), "root cannot be in the graph");
                    return;
                }
                tasks.insert(ref.name);
            };
            if (d.left) for_each_node(*d.left, [&](const NodeRef& r) { check_node(r, true); });
            check_node(d.right, false);
        }
    }
    for (const auto& t : tasks) {
        if (!wf_.runtime.count(t)) {
            Runtime rt = wf_.runtime.at("root");
            rt.name = t;
            rt.implicit = true;
            rt.is_family = false;
            rt.parents = {"root"};
            rt.lineage = {t, "root"};
            wf_.runtime[t] = rt;
        }
    }
    wf_.tasks.assign(tasks.begin(), tasks.end());
    check_placement();
    check_outputs();
    check_suicide();
    // Qualifiers must name an output the task has.
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        for (const auto& d : wf_.graph[s].deps) {
            // A lone node's qualifier ("foo:x?" alone) is checked as well.
            const Expr lone{Expr::Kind::node, d.right, {}};
            for_each_node(d.left ? *d.left : lone, [&](const NodeRef& ref) {
                if (ref.xtrigger || wf_.is_family(ref.name)) return;
                const auto& builtin = builtin_qualifiers();
                if (ref.qualifier.empty() ||
                    std::find(builtin.begin(), builtin.end(), ref.qualifier) != builtin.end()) {
                    return;
                }
                auto rt = wf_.runtime.find(ref.name);
                if (rt == wf_.runtime.end()) return;
                const auto& outs = rt->second.outputs;
                if (std::none_of(outs.begin(), outs.end(),
                                 [&](auto& o) { return o.first == ref.qualifier; })) {
                    std::vector<std::string> names;
                    for (auto& o : outs) names.push_back(o.first);
                    names.insert(names.end(), builtin.begin(), builtin.end());
                    r_.error(
                        node_loc(s, ref),
                        fmt::format("'{}' has no output '{}'{}: add it under runtime.{}.outputs",
                                    ref.name, ref.qualifier, did_you_mean(ref.qualifier, names),
                                    ref.name));
                }
            });
            if (!d.left) continue;
            // Offsets: parse now so that errors point at them.
            for_each_node(*d.left, [&](const NodeRef& ref) {
                if (ref.offset.empty()) return;
                try {
                    (void)offset_point(ref.offset, wf_.initial);
                } catch (const ParseError& e) {
                    r_.error(node_loc(s, ref),
                             fmt::format("offset [{}]: {}", ref.offset, e.what()));
                }
            });
        }
    }
}

// The upstream point for an offset written as [-P1], [^], [$], [^+PT6H].
Point Loader::offset_point(const std::string& off, Point p) const {
    if (off == "$" && !wf_.final)
        throw ParseError("[$] needs a final point: set scheduling.final", 0);
    if (off[0] == '$' && !wf_.final) throw ParseError("[$] needs a final point", 0);
    return wf_.offset_point(off, p);
}

}  // namespace tock::config::detail
