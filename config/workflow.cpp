#include "config/workflow.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "config/loader.hpp"

namespace tock::config {

ConfigErrors::ConfigErrors(std::vector<Diagnostic> d)
    : std::runtime_error(d.empty() ? "invalid workflow" : d.front().str()), errors(std::move(d)) {}

Workflow Workflow::load(const std::string& path, const Overrides& ov) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigErrors(
            {{Location{path, 0, 0}, "cannot read the file: " + std::string(std::strerror(errno))}});
    }
    std::stringstream ss;
    ss << in.rdbuf();
    // The global configuration's platforms, which the workflow's add to.
    Overrides with_global = ov;
    const GlobalConfigPath g = global_config_path();
    std::ifstream gin(g.path, std::ios::binary);
    if (!gin && g.must_exist) {
        throw ConfigErrors(
            {{Location{g.path, 0, 0}, "TOCK_GLOBAL_CONFIG names this file, which cannot be read: " +
                                          std::string(std::strerror(errno))}});
    }
    if (gin) {
        std::stringstream gs;
        gs << gin.rdbuf();
        std::vector<Diagnostic> errs;
        try {
            const YAML::Node top = YAML::Load(gs.str());
            if (top.IsMap()) {
                read_platforms(
                    top["platforms"], with_global.platforms,
                    [&](const YAML::Node& at, const std::string& msg) {
                        errs.push_back(
                            {Location{g.path, at.Mark().line + 1, at.Mark().column + 1}, msg});
                    });
            }
        } catch (const YAML::Exception& e) {
            errs.push_back(
                {Location{g.path, e.mark.line + 1, e.mark.column + 1}, "not valid YAML: " + e.msg});
        }
        if (!errs.empty()) throw ConfigErrors(errs);
    }
    return parse(ss.str(), path, with_global);
}

Workflow Workflow::parse(const std::string& text, const std::string& file, const Overrides& ov) {
    Workflow wf;
    wf.file = file;
    wf.source = ov.source.empty() ? file : ov.source;
    detail::Loader(wf, text, file, ov).run();
    if (wf.name.empty()) {
        // The file's name without directory or extension, as Cylc names by directory.
        std::string base = file.substr(file.find_last_of('/') + 1);
        base = base.substr(0, base.find('.'));
        wf.name = base.empty() ? "workflow" : base;
    }
    return wf;
}

const std::vector<std::string>& builtin_xtriggers() {
    static const std::vector<std::string> names = {"wall_clock", "file_exists", "workflow_state",
                                                   "xrandom",    "echo",        "interval"};
    return names;
}

bool builtin_xtrigger(const std::string& function) {
    const auto& b = builtin_xtriggers();
    return std::find(b.begin(), b.end(), function) != b.end();
}

std::vector<std::string> Workflow::plugin_dirs() const {
    // Relative to the workflow file's directory (the source's, for a run's
    // copy).
    const auto slash = source.find_last_of('/');
    std::string base = slash == std::string::npos ? "."
                       : slash == 0               ? "/"
                                                  : source.substr(0, slash);
    std::error_code ec;
    const std::string abs_base = std::filesystem::absolute(base, ec).lexically_normal().string();
    auto resolve = [&](const std::string& d) {
        if (!d.empty() && d[0] == '/') return d;
        return (std::filesystem::path(abs_base) / d).lexically_normal().string();
    };
    std::vector<std::string> out = {resolve("bin")};
    for (const auto& d : plugins.path) out.push_back(resolve(d));
    return out;
}

bool Workflow::is_task(const std::string& n) const {
    return std::binary_search(tasks.begin(), tasks.end(), n);
}

bool Workflow::is_family(const std::string& n) const {
    auto it = runtime.find(n);
    return it != runtime.end() && it->second.is_family && n != "root";
}

std::vector<std::string> Workflow::tasks_of(const std::string& name) const {
    return is_family(name) ? members(name) : std::vector<std::string>{name};
}

std::vector<std::string> Workflow::members(const std::string& family) const {
    // Every task namespace below the family, used in the graph or not: in
    // Cylc, naming a family in the graph brings in all of its tasks.
    std::vector<std::string> out;
    for (const auto& [name, rt] : runtime) {
        if (name == "root" || rt.is_family) continue;
        if (std::find(rt.lineage.begin() + 1, rt.lineage.end(), family) != rt.lineage.end()) {
            out.push_back(name);
        }
    }
    return out;
}

namespace {

bool same(const Prereq& a, const Prereq& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == Prereq::Kind::trigger) {
        const Trigger &x = a.trigger, &y = b.trigger;
        return x.task == y.task && x.xtrigger == y.xtrigger && x.point == y.point &&
               x.output == y.output;
    }
    if (a.children.size() != b.children.size()) return false;
    for (std::size_t i = 0; i < a.children.size(); ++i) {
        if (!same(a.children[i], b.children[i])) return false;
    }
    return true;
}

Prereq trigger_leaf(Trigger t) {
    Prereq p;
    p.kind = Prereq::Kind::trigger;
    p.trigger = std::move(t);
    return p;
}

}  // namespace

Point Workflow::offset_point(const std::string& off, Point p) const {
    if (off == "^") return initial;
    if (off == "$") return final.value_or(initial);
    return cycling.offset_point(off, p, initial, final);
}

std::vector<TaskAt> Workflow::tasks_at(Point p) const {
    std::map<std::string, TaskAt> out;
    auto present = [&](const std::string& name) -> TaskAt& {
        auto [it, fresh] = out.try_emplace(name);
        if (fresh) {
            it->second.name = name;
            it->second.point = p;
        }
        return it->second;
    };
    for (const auto& gs : graph) {
        if (!on(gs, p)) continue;
        for (const auto& d : gs.deps) {
            std::function<Prereq(const Expr&)> build = [&](const Expr& e) -> Prereq {
                if (e.kind == Expr::Kind::node) {
                    const NodeRef& r = e.node;
                    Trigger t;
                    t.source = r.source;
                    const Point up = r.offset.empty() ? p : offset_point(r.offset, p);
                    t.point = up;
                    t.pre_initial = up < initial;
                    t.absolute = absolute_offset(r.offset);
                    if (r.xtrigger) {
                        t.xtrigger = r.name;
                        return trigger_leaf(t);
                    }
                    if (is_family(r.name)) {
                        // FAM:succeed-all -> every member succeeded; -any -> one of them.
                        Prereq group;
                        group.kind = r.qualifier.ends_with("-all") ? Prereq::Kind::all_of
                                                                   : Prereq::Kind::any_of;
                        const std::string out = output_of(r, true);
                        for (const auto& m : members(r.name)) {
                            Trigger mt = t;
                            mt.task = m;
                            mt.output = out;
                            group.children.push_back(trigger_leaf(mt));
                            if (r.offset.empty())
                                present(m);  // as Cylc places a family trigger's tasks
                        }
                        return group;
                    }
                    t.task = r.name;
                    t.output = output_of(r, false);
                    if (r.offset.empty()) present(r.name);  // a left node without offset runs here
                    return trigger_leaf(t);
                }
                Prereq group;
                group.kind =
                    e.kind == Expr::Kind::all_of ? Prereq::Kind::all_of : Prereq::Kind::any_of;
                for (const auto& c : e.children) group.children.push_back(build(c));
                return group;
            };
            std::optional<Prereq> left;
            if (d.left) left = build(*d.left);
            std::vector<std::string> targets;
            if (is_family(d.right.name)) {
                targets = members(d.right.name);
            } else {
                targets = {d.right.name};
            }
            for (const auto& t : targets) {
                TaskAt& ta = present(t);
                // The same prerequisite written twice is one prerequisite.
                auto& list = d.right.suicide ? ta.suicide : ta.prereqs;
                if (left && std::none_of(list.begin(), list.end(),
                                         [&](const Prereq& q) { return same(q, *left); })) {
                    list.push_back(*left);
                }
            }
        }
    }
    std::vector<TaskAt> v;
    v.reserve(out.size());
    for (auto& [n, t] : out) v.push_back(std::move(t));
    return v;
}

bool Workflow::on(const GraphSection& gs, Point p) const {
    return gs.sequence.contains(p);  // scheduling.exclusions are the sequence's own
}

std::optional<Point> Workflow::next_point(Point p) const {
    std::optional<Point> best;
    for (const auto& gs : graph) {
        if (auto n = gs.sequence.next_after(p); n && (!best || *n < *best)) best = n;
    }
    return best;
}

std::optional<Point> Workflow::first_on(const GraphSection& gs) const {
    return gs.sequence.first_at_or_after(initial);
}

std::optional<Point> Workflow::first_point() const {
    std::optional<Point> best;
    for (const auto& gs : graph) {
        if (auto n = first_on(gs); n && (!best || *n < *best)) best = n;
    }
    return best;
}

}  // namespace tock::config
