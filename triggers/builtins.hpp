// The built-in xtrigger functions other than wall_clock and file_exists:
// echo, xrandom, interval and workflow_state, as Cylc has them.
//
// `co_await run_builtin(loop, call)` returns once the call is satisfied,
// with its results (the names and values a task's job gets). It throws
// TriggerError, saying why, if the call can never be satisfied (bad
// arguments, a run database tock cannot read). It waits only on timers of
// loop.clock() (real or virtual) and on inotify watches on the loop: it never
// blocks the loop, and never looks again at something that has not changed.
// It is cancelled, like any Task, by destroying its frame where it waits.
//
// - echo(args..., succeed=True, key=value...): satisfied at once with the
//   keywords (but succeed) and the arguments as arg1, arg2, ...; with
//   succeed=False, never (it waits, at no cost, until cancelled).
// - xrandom(percent, secs=0): each try waits `secs`, then is satisfied with
//   a chance of percent in 100, with results COLOR and SIZE picked at
//   random; a try that is not is made again after the call's interval
//   (PT10S if none). percent 0 never is, and makes no tries.
// - interval(PT1H): satisfied that long after it was first asked for
//   (this call), with `elapsed`, the duration.
// - workflow_state(workflow=NAME, task=TASK, point=CYCLE, status=S |
//   output=O, run_dir=DIR): satisfied once that task of the latest run of
//   NAME (under ~/tock-run), or of the run in DIR, has reached status S
//   (default succeeded) or completed output O (triggers/workflow_state.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/clock.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/task.hpp"
#include "triggers/trigger.hpp"

namespace tock::triggers {

// One xtrigger call, its templates already expanded.
struct Call {
    std::string label, function;
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> kwargs;
    std::optional<Duration> interval;  // the ":PT10S" written after the call, if any
    // The argument `key=` if given, else the one at position `pos`, else
    // `fallback`.
    std::string arg(const std::string& key, std::size_t pos, std::string fallback = "") const;
};

// True for xrandom, echo, interval and workflow_state.
bool is_builtin(const std::string& function);

// Returns once `call` is satisfied, with its results; throws TriggerError if
// it never can be. The call is taken by value: the coroutine keeps its own
// copy, whatever becomes of the caller's.
Task<Results> run_builtin(Loop& loop, Call call);

}  // namespace tock::triggers
