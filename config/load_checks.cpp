// The loader's checks of the whole workflow: tasks on no recurrence, required
// and optional outputs, suicide triggers, the cycle point format, offsets
// that can never be satisfied and dependency loops.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "config/loader.hpp"

namespace tock::config::detail {

// A task named only with offsets is on no recurrence: it would never run.
void Loader::check_placement() {
    std::set<std::string> placed;
    std::map<std::string, Location> first_seen;
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        for (const auto& d : wf_.graph[s].deps) {
            auto place = [&](const NodeRef& r, bool with_offset_ok) {
                if (r.xtrigger) return;
                std::vector<std::string> names = wf_.tasks_of(r.name);
                for (const auto& n : names) {
                    if (!first_seen.count(n)) first_seen[n] = node_loc(s, r);
                    if (with_offset_ok || r.offset.empty()) placed.insert(n);
                }
            };
            if (d.left) for_each_node(*d.left, [&](const NodeRef& r) { place(r, false); });
            place(d.right, true);
        }
    }
    for (const auto& t : wf_.tasks) {
        if (placed.count(t)) continue;
        r_.error(first_seen.count(t) ? first_seen[t] : Location{r_.file(), 0, 0},
                 fmt::format("task '{}' appears only with offsets, so it is on no recurrence and "
                             "would never run: add it to a graph line without an offset",
                             t));
    }
}

// Outputs are required unless marked optional with '?', as Cylc 8 decides
// it: every node written without an offset (left of '=>', right of it, or
// alone) sets the optionality of the output it names; an inter-cycle
// trigger (foo[-P1]:fail) decides nothing. A family trigger
// (FAM:succeed-all, FAM:fail-any?, a family on the right) only sets a
// default for its members, which a member's own node may settle either
// way. Each output must be one or the other everywhere, and succeeded and
// failed (submitted and submit-failed) may only both be used if both are
// optional.
void Loader::check_outputs() {
    struct Opt {
        bool optional = false;  // as settled (or the family default)
        bool by_default = false;
        bool fixed = false;  // settled by the task's own node
        Location where;      // the first use
    };
    std::map<std::pair<std::string, std::string>, Opt> opts;
    std::set<std::string> reported;  // one error per task and output
    auto error_once = [&](const std::string& key, const Location& where, std::string msg) {
        if (reported.insert(key).second) r_.error(where, std::move(msg));
    };
    std::function<void(const std::string&, const std::string&, bool, bool, const Location&)> set =
        [&](const std::string& task, const std::string& output, bool optional, bool family,
            const Location& where) {
            if (output == "finished") {  // succeeded or failed: both optional
                set(task, "succeeded", true, family, where);
                set(task, "failed", true, family, where);
                return;
            }
            auto [it, fresh] = opts.try_emplace({task, output});
            Opt& o = it->second;
            if (fresh) {
                o = Opt{optional, optional, !family, where};
            } else if (o.fixed) {
                if (!family && optional != o.optional) {
                    error_once(task + ":" + output, o.where,
                               fmt::format("output '{}:{}' is both required and optional: "
                                           "mark every use of it with '?', or none",
                                           task, output));
                }
            } else if (family) {
                if (optional != o.by_default) {
                    error_once(task + ":" + output, o.where,
                               fmt::format("output '{}:{}' can't default to both optional and "
                                           "required (via family trigger defaults): mark "
                                           "every family trigger that names it with '?', or "
                                           "none",
                                           task, output));
                }
            } else {
                o.optional = optional;
                o.fixed = true;
            }
            static const std::pair<const char*, const char*> opposites[] = {
                {"succeeded", "failed"}, {"submitted", "submit-failed"}};
            for (const auto& [yes, no] : opposites) {
                if (output != yes && output != no) continue;
                const std::string other = output == yes ? no : yes;
                auto op = opts.find({task, other});
                if (op == opts.end()) continue;
                const bool via_family = family || !op->second.fixed;
                const bool bad = via_family ? !o.optional || !op->second.by_default
                                            : !o.optional || !op->second.optional;
                if (!bad) continue;
                const std::string& s = output == yes ? output : other;
                const std::string& f = output == yes ? other : output;
                error_once(task + ":" + s + "/" + f, where,
                           fmt::format("opposite outputs {}:{} and {}:{} must both be "
                                       "optional if both are used{}: write {}{} and {}:{}?",
                                       task, s, task, f,
                                       via_family ? " (via family trigger defaults)" : "", task,
                                       s == "succeeded" ? "?" : ":submit?", task,
                                       f == "failed" ? "fail" : "submit-fail"));
            }
        };
    auto note = [&](std::size_t s, const NodeRef& r, const std::string& out) {
        if (r.xtrigger || !r.offset.empty()) return;  // offsets decide nothing
        const bool family = wf_.is_family(r.name);
        for (const auto& n : wf_.tasks_of(r.name)) {
            set(n, out, r.optional, family, node_loc(s, r));
        }
    };
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        // A node in the middle of a chain (a => b:x? => c) is on the left
        // of the next step, with its output: that use is the one that counts.
        std::set<std::pair<int, int>> on_left;
        for (const auto& d : wf_.graph[s].deps) {
            if (!d.left) continue;
            for_each_node(*d.left, [&](const NodeRef& r) {
                on_left.insert({r.line, r.col});
                note(s, r, output_of(r, wf_.is_family(r.name)));
            });
        }
        for (const auto& d : wf_.graph[s].deps) {
            if (on_left.count({d.right.line, d.right.col})) continue;
            // A suicide trigger's target ("a => !b") says nothing of b's
            // outputs, as in Cylc 8; its left side counts as any left side.
            if (d.right.suicide) continue;
            note(s, d.right, output_of(d.right, wf_.is_family(d.right.name)));
        }
    }
    for (const auto& [key, o] : opts) {
        if (auto rt = wf_.runtime.find(key.first); rt != wf_.runtime.end()) {
            rt->second.optional_outputs[key.second] = o.optional;
        }
    }
}

// The same left side cannot both trigger a task and remove it ("a => b"
// and "a => !b"), as Cylc refuses it.
void Loader::check_suicide() {
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        std::map<std::pair<std::string, std::string>, bool> seen;  // (task, left) -> suicide
        std::set<std::pair<std::string, std::string>> reported;
        for (const auto& d : wf_.graph[s].deps) {
            if (!d.left) continue;
            const std::string left = to_string(*d.left);
            if (d.right.suicide) {
                bool self = false;
                for_each_node(*d.left, [&](const NodeRef& r) {
                    if (r.xtrigger || !r.offset.empty()) return;
                    for (const auto& t : wf_.tasks_of(r.name)) {
                        const auto targets = wf_.tasks_of(d.right.name);
                        self =
                            self || std::find(targets.begin(), targets.end(), t) != targets.end();
                    }
                });
                if (self) {
                    r_.error(node_loc(s, d.right),
                             fmt::format("'{} => !{}': a task cannot remove itself; a task "
                                         "that finishes leaves the pool anyway (mark the "
                                         "output optional with '?' if it may not complete)",
                                         left, d.right.name));
                    continue;
                }
            }
            for (const auto& t : wf_.tasks_of(d.right.name)) {
                auto [it, fresh] = seen.try_emplace({t, left}, d.right.suicide);
                if (fresh || it->second == d.right.suicide) continue;
                if (!reported.insert({t, left}).second) continue;
                r_.error(node_loc(s, d.right),
                         fmt::format("'{}' can't trigger both {} and !{}: the same condition "
                                     "cannot run a task and remove it; remove one of the two",
                                     left, t, t));
            }
        }
    }
}

// cycle_point_format must write every point so that it reads back the
// same: a format without hours cannot tell T00 from T12.
void Loader::check_point_format() {
    if (settings_.point_format.empty()) return;
    CyclingSettings plain = settings_;
    plain.point_format.clear();
    const Cycling standard(plain);
    for (const auto& gs : wf_.graph) {
        auto p = wf_.first_on(gs);
        for (int k = 0; p && k < 100 && (!wf_.final || *p <= *wf_.final); ++k) {
            const std::string text = wf_.cycling.format(*p);
            std::optional<Point> back;
            try {
                back = wf_.cycling.parse_point(text);
            } catch (const ParseError&) {
            }
            if (!back || *back != *p) {
                r_.error(point_format_node_,
                         fmt::format("cycle_point_format '{}' writes the point {} as '{}', "
                                     "which {}: give it the fields it leaves out",
                                     wf_.cycle_point_format, standard.format(*p), text,
                                     back ? "reads back as " + standard.format(*back)
                                          : std::string("cannot be read back")));
                return;
            }
            p = gs.sequence.next_after(*p);
        }
    }
}

void Loader::check_cycles_and_offsets() {
    // Which tasks each section places on its points: right-hand tasks
    // (families expanded) and left-hand tasks without an offset.
    defines_.assign(wf_.graph.size(), {});
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        for (const auto& d : wf_.graph[s].deps) {
            if (wf_.is_family(d.right.name)) {
                for (const auto& m : wf_.members(d.right.name)) defines_[s].insert(m);
            } else {
                defines_[s].insert(d.right.name);
            }
            if (d.left) {
                for_each_node(*d.left, [&](const NodeRef& r) {
                    if (r.xtrigger || !r.offset.empty()) return;
                    if (wf_.is_family(r.name)) {
                        for (const auto& m : wf_.members(r.name)) defines_[s].insert(m);
                    } else {
                        defines_[s].insert(r.name);
                    }
                });
            }
        }
    }
    // Sample the first cycle points of the workflow: enough to meet every
    // section several times, bounded so that validation stays fast.
    std::vector<Point> sample;
    std::optional<Point> p = wf_.first_point();
    for (int i = 0; p && i < 50; ++i) {
        sample.push_back(*p);
        p = wf_.next_point(*p);
    }
    std::set<int> reported;
    bool loop_reported = false;
    for (const Point& at : sample) {
        const auto tasks = wf_.tasks_at(at);
        std::unordered_map<std::string, std::vector<std::pair<std::string, int>>> up;
        std::function<void(const Prereq&, const std::string&)> collect =
            [&](const Prereq& pr, const std::string& task) {
                if (pr.kind == Prereq::Kind::trigger) {
                    const Trigger& t = pr.trigger;
                    if (t.task.empty()) return;
                    if (t.point == at) up[task].emplace_back(t.task, t.source);
                    if (!t.pre_initial && !reported.count(t.source) && !runs_at(t.task, t.point)) {
                        unreachable(t, task, at);
                        reported.insert(t.source);
                    }
                    return;
                }
                for (const auto& c : pr.children) collect(c, task);
            };
        for (const auto& t : tasks) {
            for (const auto& pr : t.prereqs) collect(pr, t.name);
        }
        if (!loop_reported) loop_reported = find_loop(tasks, up, at);
    }
}

bool Loader::runs_at(const std::string& task, Point q) const {
    if (wf_.final && q > *wf_.final) return true;  // beyond the end: Cylc ignores it too
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        if (defines_[s].count(task) && wf_.on(wf_.graph[s], q)) return true;
    }
    return false;
}

void Loader::unreachable(const Trigger& t, const std::string& task, Point at) {
    r_.error(
        t.source >= 0 ? wf_.sources[t.source] : Location{r_.file(), 0, 0},
        fmt::format("'{}' at {} waits for '{}' at {}, but '{}' never runs at that point: the "
                    "offset can never be satisfied; fix the offset or the recurrences",
                    task, wf_.cycling.format(at), t.task, wf_.cycling.format(t.point), t.task));
}

// A dependency loop within one point: Kahn's algorithm removes every
// task whose upstream tasks can all run; what remains is in or behind a
// loop. Iterative, so a chain of 100,000 tasks is no deeper than one.
bool Loader::find_loop(
    const std::vector<TaskAt>& tasks,
    std::unordered_map<std::string, std::vector<std::pair<std::string, int>>>& up, Point at) {
    std::unordered_map<std::string, int> waiting;  // upstream count within the point
    std::unordered_map<std::string, std::vector<std::string>> down;
    for (const auto& t : tasks) waiting[t.name] = 0;
    for (auto& [task, ups] : up) {
        for (const auto& [u, src] : ups) {
            if (!waiting.count(u)) continue;  // not at this point
            ++waiting[task];
            down[u].push_back(task);
        }
    }
    std::vector<std::string> ready;
    for (const auto& [n, w] : waiting) {
        if (w == 0) ready.push_back(n);
    }
    std::size_t done = 0;
    while (!ready.empty()) {
        const std::string n = ready.back();
        ready.pop_back();
        ++done;
        for (const auto& d : down[n]) {
            if (--waiting[d] == 0) ready.push_back(d);
        }
    }
    if (done == waiting.size()) return false;
    // Walk upstream from a stuck task until a task repeats: that is a loop.
    std::string v;
    for (const auto& t : tasks) {
        if (waiting[t.name] > 0) {
            v = t.name;
            break;
        }
    }
    std::vector<std::string> path;
    std::unordered_map<std::string, std::size_t> seen;
    int src = -1;
    while (!seen.count(v)) {
        seen[v] = path.size();
        path.push_back(v);
        for (const auto& [u, s] : up[v]) {
            if (waiting.count(u) && waiting[u] > 0) {
                v = u;
                src = s;
                break;
            }
        }
    }
    std::vector<std::string> loop(path.begin() + static_cast<long>(seen[v]), path.end());
    std::reverse(loop.begin(), loop.end());
    std::rotate(loop.begin(), std::min_element(loop.begin(), loop.end()), loop.end());
    loop.push_back(loop.front());
    r_.error(src >= 0 ? wf_.sources[src] : Location{r_.file(), 0, 0},
             fmt::format("dependency loop at cycle point {}: {}: no task in it can ever start; "
                         "break it or use an offset like {}[-P1]",
                         wf_.cycling.format(at), join(loop, " => "), loop.front()));
    return true;
}

}  // namespace tock::config::detail
