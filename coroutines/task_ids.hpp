// Task ids as operators write them, Cylc 8's way, resolved against the pool.
//
//   CYCLE/TASK[:STATE]    2026010100/model, */model:failed, 2026*/post
//   CYCLE[:STATE]         every task of that cycle point (CYCLE/*)
//   CYCLE/FAMILY          the family's member tasks
//   CYCLE/TASK/JOB        the task (the job number is the client's business)
//
// (The workflow's name and `//` are the client's: ids arrive without them.)
// Globs (* ? [...]) match the formatted cycle point and the task or any of
// its families. A glob (and a bare CYCLE, which is CYCLE/*) or a :STATE
// matches tasks in the pool only, as in Cylc 8; an id written out in full
// (2/model, or a family, 2/MODELS) may also name tasks on the graph at that
// point that are not in the pool yet (or any more), when the command allows
// it (hold, release, trigger, set, show).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "coroutines/task_pool.hpp"

namespace tock::pool {

// A bad id, or one that matches nothing: the message says which and why.
struct IdError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// The tasks `ids` name, sorted and without repeats. `outside`: ids written
// out in full may name tasks outside the pool that are on the graph.
std::vector<TaskId> resolve_ids(TaskPool& pool, const std::vector<std::string>& ids, bool outside);

}  // namespace tock::pool
