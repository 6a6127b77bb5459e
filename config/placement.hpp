// Where each of the scheduler's components runs (docs/placement.md): in the
// scheduler's own loop (inproc, the default), on a thread of its own, in a
// process of its own on this host, or on another host (tcp://HOST:PORT, where
// its bus publisher listens). The words are checked here, for the workflow's
// `placement:` section, the global configuration and `tock play --place`;
// coroutines/topology.hpp turns a placement into endpoints.
#pragma once

#include <string>
#include <vector>

namespace tock::config {

// The components of a scheduler, in the order it starts them.
const std::vector<std::string>& component_names();

// What is wrong with placing component `name` ("*": every one) at `where`
// ("inproc", "thread", "process" or "tcp://HOST:PORT"), or "" if nothing.
std::string place_problem(const std::string& name, const std::string& where);

}  // namespace tock::config
