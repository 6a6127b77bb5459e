// What every external trigger, built in or a plugin, gives back.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tock::triggers {

// The name/value pairs a satisfied trigger returns; they reach the
// dependent jobs as TOCK_XTRIGGER_<LABEL>_<NAME> (docs/plugins.md).
using Results = std::vector<std::pair<std::string, std::string>>;

// A trigger that can never be satisfied (bad arguments, no such plugin):
// the task waits, with this reason shown.
struct TriggerError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace tock::triggers
