// workflow_state: wait until a task of another workflow's run has reached a
// status or completed an output, as that run's database records it
// (docs/database.md: task_states.outputs).
//
// Told, not polled. The run database is read once, then again only when
// inotify says it changed: a watch (uv_fs_event) on the run directory
// wakes for writes to `db` and `db-wal` (every commit of the scheduler
// writes the WAL) and for nothing else there. Its scheduler's state stream
// (docs/protocol.md) is not used: it publishes what it has committed to
// that same database, after the commit, and forgets tasks that finished
// cycles ago, so the database is as early and always complete.
//
// Each wait keeps its own read-only connection open while it waits (two
// file descriptors): a connection closed after each read would touch the
// WAL as it goes, and so wake every wait on the run again.
//
// A run that does not exist yet is waited for: the watch is on the nearest
// existing directory on the way to ~/tock-run/NAME, moves down as the
// directories appear, then onto the newest runN until its db appears. With
// a workflow name the latest run (the highest runN that has a db) is asked
// again on each change of ~/tock-run/NAME, so a newer run takes over.
//
// A status is met once the task has completed the output it is reached by
// (running: started; docs/workflow.md), so status=running is met by a
// task that has since succeeded, and status=succeeded stays met. A point
// is matched as the run writes it (its `cycle` column), or as any ISO 8601
// form of the same date-time.
#pragma once

#include <optional>
#include <string>

#include "config/xtrigger_args.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/task.hpp"
#include "triggers/builtins.hpp"

namespace tock::triggers {

// Where workflow NAME's runs are: ~/tock-run/NAME ($HOME/tock-run, as
// `tock play` makes them).
std::string runs_of(const std::string& workflow);

// The latest run in `runs` (a runs_of() directory): the highest runN that
// has a run database; nullopt if none has.
std::optional<std::string> latest_run_in(const std::string& runs);

// Returns once `q` is met, with results workflow, task, point (as the run
// writes it) and status or output. Throws TriggerError for a database that
// is not a tock run database this version reads, or a directory that
// cannot be watched.
Task<Results> wait_workflow_state(Loop& loop, config::WorkflowStateQuery q);

}  // namespace tock::triggers
