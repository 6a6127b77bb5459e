// The workflow model: a YAML file read, checked and expanded.
//
// load() reads the file, checks every key against the schema (an unknown key
// is an error with a "did you mean"), resolves runtime inheritance (C3, as
// Cylc linearises it), parses every graph section and recurrence, and checks
// the whole: families and xtriggers that exist, queue members, dependency
// cycles within a cycle point, offsets that can never be satisfied. It keeps
// going after an error and reports them all, each with file:line:col.
//
// The scheduler then asks the model what exists at a cycle point:
// tasks_at(p) and, for each task there, the prerequisites that trigger it.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config/cycling.hpp"
#include "config/error.hpp"
#include "config/graph.hpp"
#include "config/parameters.hpp"
#include "config/platform.hpp"

namespace tock::config {

struct Diagnostic {
    Location where;
    std::string message;  // what is wrong, and how to fix it
    std::string str() const { return where.str() + ": " + message; }
};

// Thrown by load() with every error found.
class ConfigErrors : public std::runtime_error {
  public:
    explicit ConfigErrors(std::vector<Diagnostic> d);
    std::vector<Diagnostic> errors;
};

// Task event names that can carry handlers.
inline const std::vector<std::string>& task_events() {
    static const std::vector<std::string> e = {"submitted",
                                               "started",
                                               "succeeded",
                                               "failed",
                                               "retry",
                                               "submit_failed",
                                               "submit_retry",
                                               "execution_timeout",
                                               "submission_timeout",
                                               "expired",
                                               "custom",
                                               "warning",
                                               "critical"};
    return e;
}

// One runtime namespace (task or family) after inheritance: every setting is
// its own or the nearest ancestor's, in C3 order.
struct Runtime {
    std::string name;
    Location where;
    std::vector<std::string> parents;  // as written in `inherit`
    std::vector<std::string> lineage;  // C3 linearisation: self first, root last
    bool is_family = false;            // some namespace inherits it
    bool implicit = false;             // a graph task with no runtime entry
    std::string script, env_script, pre_script, post_script, err_script;
    std::vector<std::pair<std::string, std::string>> environment;  // in order, ancestors first
    std::vector<Interval> execution_retry_delays;
    std::vector<Interval> submission_retry_delays;
    std::optional<Interval> time_limit;          // execution time limit
    std::optional<Interval> submission_timeout;  // event timeouts
    std::optional<Interval> execution_timeout;
    std::vector<std::pair<std::string, std::string>> outputs;  // custom: name, message
    std::string platform;                                      // "" = localhost background
    std::string job_runner;                                    // background (default), slurm, at
    std::vector<std::pair<std::string, std::string>> directives;
    std::map<std::string, std::vector<std::string>> handlers;  // event -> commands
    std::optional<Interval> run_length;                        // simulation mode
    std::vector<Point> sim_fail_points;  // simulation: the job fails at these points...
    bool sim_fail_all = false;           // ... or at every point
    bool sim_fail_try_1_only = true;     // ... on its first try only
    // A task a parameterised name expanded to (model<member> -> model_member05):
    // each parameter's value ("member", "5"). Jobs get TOCK_PARAM_member=5.
    std::vector<std::pair<std::string, std::string>> parameters;
    // Outputs the graph uses, and whether each is optional ('?'). An output
    // not listed is required if it is succeeded, optional otherwise.
    std::map<std::string, bool> optional_outputs;
    bool output_required(const std::string& output) const {
        auto it = optional_outputs.find(output);
        if (it != optional_outputs.end()) return !it->second;
        // As in Cylc 8: succeeded is required by default, unless the graph
        // uses the task's failure (then it may end either way).
        return output == "succeeded" && !optional_outputs.count("failed");
    }
};

struct Queue {
    std::string name;
    int limit = 0;                     // 0: unlimited
    std::vector<std::string> members;  // as written: tasks or families
    std::vector<std::string> tasks;    // expanded to tasks
    Location where;
};

struct XTrigger {
    std::string label;              // the name used as @label
    std::string function;           // wall_clock, file_exists, ...
    std::vector<std::string> args;  // positional, templates unexpanded
    std::vector<std::pair<std::string, std::string>> kwargs;
    std::optional<Interval> interval;  // ":PT10S" call interval
    Location where;
};

// The xtrigger functions tock runs itself; any other is a plugin's
// (docs/plugins.md).
const std::vector<std::string>& builtin_xtriggers();
bool builtin_xtrigger(const std::string& function);

// `plugins:` (docs/plugins.md): where trigger plugins are found, and how
// often a plugin with watches outstanding is asked whether it is alive.
struct PluginSettings {
    std::vector<std::string> path;      // directories, before PATH (relative: to the file's)
    std::optional<Interval> heartbeat;  // nullopt: PT30S
};

struct WorkflowEvents {
    std::optional<Interval> stall_timeout, inactivity_timeout, workflow_timeout;
    bool abort_on_stall_timeout = false;
    bool abort_on_inactivity_timeout = false;
    bool abort_on_workflow_timeout = false;
    std::map<std::string, std::vector<std::string>>
        handlers;  // startup, shutdown, stall, abort, ...
};

// A prerequisite term resolved at a cycle point.
struct Trigger {
    std::string task;          // task name ("" for an xtrigger)
    std::string xtrigger;      // xtrigger label
    Point point;               // the upstream task's cycle point
    std::string output;        // succeeded, failed, submitted, submit-failed,
                               // started, finished, expired, or a custom output
    bool pre_initial = false;  // before the initial point: satisfied from the start
    bool absolute = false;     // [^] or [$] forms: the same upstream point for all
    int source = -1;           // index into Workflow::sources: where the graph says it
};

// A prerequisite tree: all_of / any_of over triggers (family triggers are
// expanded to their member tasks).
struct Prereq {
    enum class Kind { trigger, all_of, any_of };
    Kind kind = Kind::trigger;
    Trigger trigger;
    std::vector<Prereq> children;
};

// A task at a cycle point, with what triggers it. Several graph lines may
// name the same task: their prerequisites are and-ed, as in Cylc. Suicide
// triggers ("a:fail => !b") are kept apart: once they all hold, the task is
// removed instead of run.
struct TaskAt {
    std::string name;
    Point point;
    std::vector<Prereq> prereqs;                         // all must hold
    std::vector<Prereq> suicide;                         // all must hold for the task to be removed
    bool parentless() const { return prereqs.empty(); }  // suicide triggers are no parents
};

// Settings given on the command line (tock play --initial-cycle ...), used
// in place of the file's scheduling.initial, final, stop and hold_after.
struct Overrides {
    std::optional<std::string> initial, final, stop, hold_after;
    // --set KEY=VALUE: values of the file's `vars`, used as ${KEY} in its values.
    std::map<std::string, std::string> vars;
    // Platforms from the global configuration (Workflow::load reads them;
    // the workflow's own add to them).
    std::map<std::string, Platform> platforms;
    // The file a run was installed from, when the file loaded is the run's
    // copy: the workflow's bin/ and relative plugins.path are beside it.
    std::string source;
};

struct GraphSection {
    std::string recurrence;
    Sequence sequence;
    std::vector<Dependency> deps;
    Location where;  // of the recurrence key
};

class Workflow {
  public:
    // Read and check `path`; throws ConfigErrors with every error found.
    static Workflow load(const std::string& path, const Overrides& ov = {});
    // The same from text (tests; `file` names it in errors).
    static Workflow parse(const std::string& text, const std::string& file,
                          const Overrides& ov = {});

    std::string name;
    std::string file;
    std::string source;  // the file relative paths start from (file, or Overrides::source)
    Cycling cycling{CyclingSettings{}};
    Point initial;
    std::optional<Point> final;
    std::optional<Point> stop, hold_after;
    std::optional<Interval> runahead;          // nullopt: default P4
    std::vector<std::string> exclusions;       // as written
    std::vector<Point> excluded_points;        // ... parsed: single points
    std::vector<Sequence> excluded_sequences;  // ... and recurrences
    bool utc_mode = true;
    bool allow_implicit_tasks = true;
    std::string cycle_point_format, cycle_point_time_zone;
    WorkflowEvents events;
    std::map<std::string, Interval> clock_trigger;  // task -> offset from its point
    std::map<std::string, Interval> clock_expire;
    std::map<std::string, Queue> queues;
    std::map<std::string, XTrigger> xtriggers;
    PluginSettings plugins;
    // `placement:` (docs/placement.md): component (or *) -> inproc, thread,
    // process or tcp://HOST:PORT, in the file's order; and `host`, where
    // components on other hosts reach this scheduler ("" = its host name).
    std::vector<std::pair<std::string, std::string>> placement;
    std::string placement_host;
    std::map<std::string, Parameter> parameters;  // task parameters, by name
    std::map<std::string, Runtime> runtime;       // every namespace, root included
    // Platforms by name: the global configuration's, then the workflow's
    // own (docs/platforms.md). `localhost` is always there.
    std::map<std::string, Platform> platforms;
    std::vector<GraphSection> graph;
    std::vector<std::string> tasks;     // every task in the graph, sorted
    std::vector<std::string> families;  // namespaces inherited by others (root excluded)
    std::vector<Location> sources;      // graph node locations, see Trigger::source
    // What is allowed but likely a mistake (tock validate prints these).
    std::vector<Diagnostic> warnings;

    // Where trigger plugins' programs are looked for before PATH: the
    // workflow's bin/, then plugins.path, as absolute directories.
    std::vector<std::string> plugin_dirs() const;

    // Where a task's jobs run: its `platform`, or for `job_runner` alone
    // that runner on this host with its defaults, or localhost.
    const Platform& platform_of(const Runtime& rt) const;

    bool is_task(const std::string& n) const;
    bool is_family(const std::string& n) const;
    // Tasks that inherit `family`, directly or not.
    std::vector<std::string> members(const std::string& family) const;
    // A family's tasks, or the task itself.
    std::vector<std::string> tasks_of(const std::string& name) const;

    // The upstream point of a node written with the offset `off` ([-P1],
    // [-P1D+PT18H], [^], [$], [^+PT6H], [2], [20100101T0600Z], [20T-P2W])
    // in the graph at point p; [$] without a final point is the initial
    // point (validation refuses that workflow). See Cycling::offset_point.
    Point offset_point(const std::string& off, Point p) const;
    // An offset that names a point absolutely, the same for every
    // downstream point ([^], [$], [^+PT6H], [2], [20100101T0600Z]).
    static bool absolute_offset(const std::string& off) { return Cycling::offset_is_absolute(off); }

    // The tasks that exist at p (on some graph section whose sequence has p),
    // each with its prerequisites, sorted by name.
    std::vector<TaskAt> tasks_at(Point p) const;
    // The next cycle point after p at which any task exists (nullopt: none).
    std::optional<Point> next_point(Point p) const;
    // The first cycle point at or after initial at which any task exists.
    std::optional<Point> first_point() const;
    // The first point of one section at or after initial (exclusions skipped).
    std::optional<Point> first_on(const GraphSection& gs) const;
    // p is on this section's recurrence (scheduling.exclusions are part of
    // every section's sequence).
    bool on(const GraphSection& gs, Point p) const;
};

}  // namespace tock::config
