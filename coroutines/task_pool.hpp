// The task pool: Cylc 8's spawn-on-demand model of which task instances
// exist, what they wait for, and when they may run.
//
// It is pure state: events go in (a job started, an output completed, a job
// finished, an xtrigger was satisfied), decisions come out (these tasks may
// be submitted now; the workflow is complete; it is stalled). It never waits,
// reads the clock or does I/O, so the same pool runs under a live scheduler,
// in simulation, and in tests, deterministically.
//
// Semantics:
// - A task instance exists only when it is parentless (no prerequisites on
//   other tasks' outputs, or only on outputs before the initial point or at
//   the initial/final point) and within the runahead limit, or when an output
//   it depends on has been completed.
// - Outputs are required or optional as the graph says. A task that finishes
//   with every required output is complete and leaves the pool; one that
//   finishes without them is incomplete and stays.
// - Runahead: tasks run only at cycle points from the oldest point with an
//   unfinished task ("the base") up to `runahead` points beyond it (P4: the
//   base and the four points after it).
// - Queues limit how many of their tasks are active (submitted or running).
// - Execution retries: a failed job with retry delays left puts its task back
//   to waiting with a retry time; the driver calls retry_due() at that time.
#pragma once

#include <compare>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "config/workflow.hpp"

namespace tock::pool {

using config::Point;

enum class State {
    waiting,
    preparing,
    submitted,
    running,
    succeeded,
    failed,
    submit_failed,
    expired
};
const char* to_string(State s);
std::optional<State> state_from(const std::string& s);
// The xtrigger label a special_tasks.clock_trigger task waits for.
std::string clock_trigger_label(const std::string& task);

struct TaskId {
    Point point;
    std::string name;
    auto operator<=>(const TaskId&) const = default;
};

struct Task {
    TaskId id;
    State state = State::waiting;
    std::vector<config::Prereq> prereqs;  // all must hold
    std::vector<config::Prereq> suicide;  // all hold: the task is removed (suicide triggers)
    std::set<std::string> outputs;        // completed outputs
    int submit_num = 0;                   // jobs submitted so far
    int retries_used = 0;
    int submit_retries_used = 0;
    std::optional<config::Interval> retry_delay;  // set while waiting to retry
    bool retry_pending = false;
    bool queued = false;    // prerequisites met, held back by its queue
    bool runahead = false;  // beyond the runahead limit
    bool held = false;      // beyond the hold-after point, or held by an operator
    // Operator commands: triggered by hand (runs whatever it waits for, past
    // its queue, the runahead limit and a hold), killed by hand (a failure
    // then does not retry), and prerequisites satisfied by hand.
    bool forced = false;
    bool killed = false;
    std::set<std::tuple<Point, std::string, std::string>> pre_set;  // point, task, output
};

class TaskPool {
  public:
    explicit TaskPool(const config::Workflow& wf);

    // Spawn the first parentless tasks. Call once. With start tasks (a warm
    // start), those run first, nothing before the earliest of them is waited
    // for, and only what follows from them spawns: what their outputs
    // trigger, and the later instances of a parentless task only once one of
    // its instances has been in the pool (as Cylc does).
    void start(const std::vector<TaskId>& start_tasks = {});
    // Before start() or restore(): a warm start from point P (tock play
    // --start-cycle-point). Nothing before P runs; what lies before P counts
    // as done, so a task whose parents are all before P starts it.
    void warm_start(Point p);

    // A restart: the pool as a run database recorded it, instead of start().
    // Tasks not in the pool are complete. What has no record (tasks spawned
    // but never triggered) is derived again: the tasks the recorded outputs
    // spawn, and the parentless tasks from the first point (or a warm
    // start's earliest) on, skipping those that ran. Start tasks that have
    // not run lose their prerequisites again, as in start().
    struct Restored {
        TaskId id;
        State state = State::waiting;
        int submit_num = 0, retries_used = 0, submit_retries_used = 0;
        bool retry_pending = false, held = false, in_pool = true;
        std::vector<std::string> outputs;
    };
    void restore(const std::vector<Restored>& tasks,
                 const std::vector<std::pair<std::string, Point>>& xtriggers,
                 const std::vector<TaskId>& start_tasks = {});

    // The tasks that may be submitted now, in order; each is marked preparing
    // (its queue slot taken). The driver submits them and reports back.
    std::vector<TaskId> release();

    // Job events. `output` is a custom output's name, or started.
    void submitted(const TaskId& id);
    void started(const TaskId& id);
    void output(const TaskId& id, const std::string& output);
    // The job ended: succeeded, or failed (then a retry may follow).
    void finished(const TaskId& id, bool succeeded);
    // The job could not be submitted: a submission retry may follow.
    void submit_failed(const TaskId& id);
    // The retry delay of a task is over: it may be submitted again.
    void retry_due(const TaskId& id);
    // The task's clock-expiry time has passed before it was submitted: it
    // expires (false if it is not waiting).
    bool expire(const TaskId& id);
    // An xtrigger (by label) is satisfied for cycle point `p`.
    void xtrigger(const std::string& label, Point p);
    // An xtrigger can never be satisfied (its plugin says so, or cannot be
    // run): its tasks wait, no longer counted as waiting on something that
    // may come, and the stall reason says why.
    void xtrigger_failed(const std::string& label, Point p, std::string reason);

    // What the driver needs to know.
    bool complete() const;  // nothing left to do: shut down
    bool stalled() const;   // not complete, and nothing can happen (held tasks wait)
    std::size_t held() const;
    // The prerequisites of a task that are met now ("CYCLE/TASK:OUTPUT",
    // "@xtrigger"), sorted: what triggered it, for the record.
    std::vector<std::string> met(const TaskId& id) const;
    // The xtriggers a task's prerequisites name, as (label, point).
    std::vector<std::pair<std::string, Point>> xtriggers_of(const TaskId& id) const;
    std::string stall_reason() const;
    // xtriggers that unspawned-or-waiting tasks wait for: (label, point).
    std::set<std::pair<std::string, Point>> wanted_xtriggers() const;
    const std::map<TaskId, Task>& tasks() const { return pool_; }
    const Task* find(const TaskId& id) const;
    // The outputs of a task that completed and left the pool.
    const std::set<std::string>* done_outputs(const TaskId& id) const {
        auto it = done_.find(id);
        return it == done_.end() ? nullptr : &it->second.outputs;
    }
    // Its jobs so far, for a task that completed and left the pool (0: none).
    int done_submit_num(const TaskId& id) const {
        auto it = done_.find(id);
        return it == done_.end() ? 0 : it->second.submit_num;
    }

    // Operator commands (Cylc's hold, release, trigger, set, remove, stop
    // --after). Each returns "" when done, or why it was refused. A task
    // named that is not in the pool but is on the graph at that point is
    // spawned first where the command means it (trigger, set), or
    // remembered until it spawns (hold).
    std::string hold(const TaskId& id);
    std::string unhold(const TaskId& id);
    // Hold every task after p, now and as they spawn (nullopt: none);
    // release_all() releases every held task and clears it.
    void set_hold_after(std::optional<Point> p);
    std::optional<Point> hold_after() const { return hold_after_; }
    const std::set<TaskId>& holds_to_come() const { return hold_later_; }
    void release_all();
    // Run now, whatever it waits for; a task that finished runs again as a
    // new job. An active task is refused.
    std::string trigger(const TaskId& id);
    // Complete outputs by hand, with what follows from them (an empty list:
    // its required outputs). succeeded and failed finish the task.
    std::string set_outputs(const TaskId& id, std::vector<std::string> outputs);
    // Satisfy a prerequisite by hand: "CYCLE/TASK:OUTPUT" as parsed
    // (point, task, output), or all of them (task "").
    std::string set_prereq(const TaskId& id, Point point, const std::string& task,
                           const std::string& output);
    // Take the task out of the pool; it does not spawn again. `was_active`:
    // it had a job, which the caller kills.
    std::string remove(const TaskId& id, bool& was_active);
    // Tasks removed by suicide triggers ("a:fail => !b"), as Cylc 8 does:
    // once all of a task's suicide prerequisites are met by an output, it
    // leaves the pool, whatever its state (an active task's job is left to
    // run, unheeded), and never spawns again at that point. A task not yet
    // in the pool is removed just the same (Cylc spawns it only to remove
    // it); one that has run is not touched. The driver takes each removal
    // (with the suicide prerequisites that were met, "CYCLE/TASK:OUTPUT")
    // to record it.
    struct Removal {
        TaskId id;
        State state = State::waiting;  // when it was removed
        int submit_num = 0;
        std::vector<std::string> by;
    };
    std::vector<Removal> take_removed() { return std::exchange(removed_, {}); }
    // A job killed by an operator: its failure does not retry.
    void mark_killed(const TaskId& id);
    // Stop after this point: nothing later spawns or runs; reached() once
    // everything up to it is done.
    void set_stop_point(std::optional<Point> p);
    std::optional<Point> stop_point() const { return stop_; }
    bool reached(Point stop) const;
    // The task is on the graph at its point (it can exist).
    bool on_graph(const TaskId& id);
    // Every prerequisite of a task, as "CYCLE/TASK:OUTPUT" or "@xtrigger",
    // and whether it is met now (pre_set counted).
    std::vector<std::pair<std::string, bool>> prerequisites(const TaskId& id) const;
    bool is_ready(const TaskId& id) const;
    // Tasks spawned since the last call, when tracking is on (for the
    // state stream, which shows waiting tasks too).
    void track_spawned(bool on) { track_spawned_ = on; }
    std::vector<TaskId> take_spawned() { return std::exchange(spawned_, {}); }
    std::size_t active() const;  // preparing, submitted or running
    const config::Workflow& workflow() const { return wf_; }

    // Counters for progress lines and tests.
    std::size_t spawned_total() const { return spawned_total_; }
    std::size_t completed_total() const { return completed_total_; }
    // Completed tasks whose outputs the pool still keeps (see prune_done).
    std::size_t remembered() const { return done_.size(); }

  private:
    struct Downstream {
        std::size_t section;
        std::vector<std::string> tasks;
        std::string offset;    // as written on the upstream node
        bool suicide = false;  // "=> !task": the output may remove the tasks
    };
    // The task's suicide prerequisites may all be met now: remove it.
    void suicide_check(const TaskId& id, const TaskId& upstream);
    void spawn(const TaskId& id);
    void start_here(const TaskId& id);  // a start task: only its xtriggers remain
    void spawn_parentless();
    bool parentless(const config::TaskAt& t) const;
    // A parentless task that spawn_parentless() spawns: on a warm start, only
    // those of a name already in the pool (see named_).
    bool auto_spawned(const config::TaskAt& t) const;
    const std::vector<config::TaskAt>& at(Point p);
    void complete_output(const TaskId& id, const std::string& output);
    void spawn_downstream(const TaskId& id, const std::string& output);
    // `t`: the task whose prerequisite it is (its pre_set counts), if any.
    bool satisfied(const config::Prereq& p, const Task* t = nullptr) const;
    bool ready(const Task& t) const;
    void maybe_remove(const TaskId& id);
    // Forget the graph's expansion at points behind the oldest in play, and
    // the completed tasks no prerequisite can name any more, so that
    // a workflow that cycles for months keeps a bounded record: those older
    // than the oldest point in play (or due next) less the graph's longest
    // look back. Tasks at points the graph names absolutely (^, $) are
    // kept. With an offset that looks ahead (a[+P1] => b), a completion can
    // spawn a task at an older point, which must still know it ran: then
    // nothing is forgotten.
    void prune_done();
    // Back to waiting with the next delay of `delays`, if one is left.
    static bool schedule_retry(Task& t, const std::vector<config::Interval>& delays, int& used);
    std::optional<Point> runahead_limit() const;
    void update_runahead();
    std::string queue_of(const std::string& task) const;

    const config::Workflow& wf_;
    std::map<TaskId, Task> pool_;
    // Outputs of the tasks that completed and left the pool, back to the
    // horizon prune_done() keeps.
    struct Done {
        std::set<std::string> outputs;
        int submit_num = 0;
    };
    std::map<TaskId, Done> done_;
    std::optional<Point> stop_;        // the stop point (the file's, or an operator's)
    std::optional<Point> hold_after_;  // the hold-after point (likewise)
    std::set<TaskId> hold_later_;      // held by an operator before they spawned
    std::set<TaskId> forced_;          // triggered by hand, for release()
    bool track_spawned_ = false;
    std::vector<TaskId> spawned_;
    std::vector<Removal> removed_;
    std::set<std::pair<std::string, Point>> xtriggers_;
    std::map<std::pair<std::string, Point>, std::string> failed_xtriggers_;
    std::map<std::pair<std::string, std::string>, std::vector<Downstream>> downstream_;
    std::map<Point, std::vector<config::TaskAt>> at_cache_;
    std::optional<Point> next_parentless_;  // the next point whose parentless tasks are unspawned
    std::optional<Point> start_point_;      // a warm start's earliest point
    std::set<std::string> named_;           // ... and the names its pool has had
    bool start_cycle_ = false;              // start_point_ from --start-cycle-point
    std::map<std::string, int> queue_active_;
    // What release() looks at, so that a step costs what changed rather than
    // the size of the pool: tasks whose readiness may have changed since the
    // last release, and the ready tasks waiting for a slot, by queue.
    void recheck(const TaskId& id) { recheck_.insert(id); }
    void recheck_all();
    std::set<TaskId> recheck_;
    std::map<std::string, std::set<TaskId>> ready_;
    std::optional<Point> last_limit_;         // the runahead limit release() last applied
    bool lazy_downstream_ = false;            // some trigger names an absolute point (^, $)
    std::vector<config::Interval> lookback_;  // the graph's relative offsets (none ahead)
    std::set<Point> absolute_points_;         // points the graph names absolutely
    bool prunable_ = true;                    // no offset looks ahead
    std::optional<Point> pruned_at_;          // the base of the last prune_done()
    std::size_t spawned_total_ = 0;
    std::size_t completed_total_ = 0;
};

}  // namespace tock::pool
