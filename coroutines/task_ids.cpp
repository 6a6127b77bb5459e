#include "coroutines/task_ids.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>

namespace tock::pool {

namespace {

bool is_glob(const std::string& s) {
    return s.find_first_of("*?[") != std::string::npos;
}

bool glob(const std::string& pattern, const std::string& text) {
    return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

// The task, or one of its families, matches.
bool name_matches(const config::Workflow& wf, const std::string& pattern, const std::string& task) {
    if (glob(pattern, task)) return true;
    auto rt = wf.runtime.find(task);
    if (rt == wf.runtime.end()) return false;
    return std::any_of(rt->second.lineage.begin(), rt->second.lineage.end(),
                       [&](const std::string& ns) { return glob(pattern, ns); });
}

const char* kForms =
    "ids are CYCLE/TASK, CYCLE/FAMILY, CYCLE (all its tasks) or globs such as */TASK, each with "
    "an optional :STATE";

}  // namespace

std::vector<TaskId> resolve_ids(TaskPool& pool, const std::vector<std::string>& ids, bool outside) {
    const config::Workflow& wf = pool.workflow();
    std::vector<TaskId> out;
    for (const auto& raw : ids) {
        std::string id = raw;
        std::string state;
        if (const auto colon = id.find(':'); colon != std::string::npos) {
            state = id.substr(colon + 1);
            id.resize(colon);
            if (!state_from(state) && !is_glob(state))
                throw IdError(
                    fmt::format("'{}': no such state '{}' (waiting, preparing, submitted, running, "
                                "succeeded, failed, submit-failed, expired)",
                                raw, state));
        }
        std::string cycle = id, task = "*";
        if (const auto slash = id.find('/'); slash != std::string::npos) {
            cycle = id.substr(0, slash);
            task = id.substr(slash + 1);
            if (const auto job = task.find('/'); job != std::string::npos) {
                const std::string num = task.substr(job + 1);
                if (num.empty() || !std::all_of(num.begin(), num.end(), ::isdigit))
                    throw IdError(fmt::format("'{}': a job is a number, as in 1/a/01", raw));
                task.resize(job);
            }
        }
        if (cycle.empty() || task.empty()) throw IdError(fmt::format("'{}': {}", raw, kForms));
        if (!is_glob(task) && !wf.is_task(task) && !wf.is_family(task))
            throw IdError(fmt::format("'{}': there is no task or family '{}'", raw, task));
        std::optional<Point> point;
        if (!is_glob(cycle)) {
            try {
                point = wf.cycling.parse_point(cycle);
            } catch (const std::exception& e) {
                throw IdError(fmt::format("'{}': bad cycle point '{}': {}", raw, cycle, e.what()));
            }
        }
        const std::size_t before = out.size();
        auto state_ok = [&](State s) { return state.empty() || glob(state, to_string(s)); };
        for (const auto& [tid, t] : pool.tasks()) {
            if (point ? tid.point != *point : !glob(cycle, wf.cycling.format(tid.point))) continue;
            if (!name_matches(wf, task, tid.name) || !state_ok(t.state)) continue;
            out.push_back(tid);
        }
        // Written out in full (a task or a family at a point): tasks on the
        // graph there, in the pool or not. A glob matches the pool only.
        if (outside && point && state.empty() && !is_glob(task)) {
            for (const auto& name : wf.tasks_of(task)) {
                const TaskId tid{*point, name};
                if (pool.find(tid) || pool.on_graph(tid)) out.push_back(tid);
            }
        }
        if (out.size() == before)
            throw IdError(fmt::format("'{}' matches no task{}", raw,
                                      outside ? "" : " in the pool (active or waiting)"));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace tock::pool
