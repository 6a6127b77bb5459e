// `tock history`: a task's event history, from its run's database.
#include <fmt/format.h>

#include <filesystem>

#include "coroutines/run_db.hpp"
#include "tools/play.hpp"

namespace tock::cmd {

namespace fs = std::filesystem;

int history(const std::string& run_arg, const std::string& task_arg) {
    // TASK is CYCLE/TASK, or WORKFLOW//CYCLE/TASK as in Cylc.
    std::string run = run_arg, task = task_arg;
    if (const auto sep = task.find("//"); sep != std::string::npos) {
        if (run.empty()) run = task.substr(0, sep);
        task = task.substr(sep + 2);
    }
    const auto slash = task.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == task.size()) {
        fmt::print(stderr, "tock history: '{}' is not CYCLE/TASK\n", task_arg);
        return 2;
    }
    if (run.empty()) {
        fmt::print(stderr, "tock history: name the run: --run-dir DIR, or NAME//CYCLE/TASK\n");
        return 2;
    }
    std::string dir = run;
    if (!fs::exists(fs::path(dir) / "db")) {
        const auto latest = latest_run(run);
        if (!latest) {
            fmt::print(stderr, "tock history: no run database for '{}'\n", run);
            return 1;
        }
        dir = *latest;
    }
    try {
        config::Overrides ov;
        store::RunDb db(dir + "/db");
        ov.initial = db.param("initial_cycle");
        ov.final = db.param("final_cycle");
        ov.vars = recorded_vars(db.param("vars"));
        const config::Workflow wf = config::Workflow::load(dir + "/flow.yaml", ov);
        const std::string name = task.substr(slash + 1);
        if (!wf.is_task(name)) {
            fmt::print(stderr, "tock history: workflow '{}' has no task '{}'\n", wf.name, name);
            return 1;
        }
        const config::Point p = wf.cycling.parse_point(task.substr(0, slash));
        const auto rows = db.history(p.value, name);
        if (rows.empty()) {
            fmt::print(stderr, "tock history: {}/{} has no recorded events in {}\n",
                       wf.cycling.format(p), name, dir);
            return 1;
        }
        fmt::print("{:<25} {:>3}  {:<14} {:<14} {}\n", "time", "job", "event", "state", "detail");
        for (const auto& r : rows) {
            fmt::print("{:<25} {:>3}  {:<14} {:<14} {}\n", r.time,
                       r.submit_num ? fmt::format("{:02}", r.submit_num) : "-", r.event, r.state,
                       r.detail);
        }
    } catch (const config::ConfigErrors& e) {
        for (const auto& d : e.errors)
            fmt::print(stderr, "{}: error: {}\n", d.where.str(), d.message);
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock history: {}\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace tock::cmd
