// Cylc 8 flow.cylc settings to tock's workflow YAML (docs/workflow.md,
// "Coming from Cylc"). Each setting tock has is carried over under its
// tock key; each one it has not becomes a comment at the same place,
// "# not carried over: [section][sub]key = value: why", so that nothing
// is dropped without a word.
#pragma once

#include <string>

#include "tools/cylc_reader.hpp"
#include "tools/yaml_out.hpp"

namespace tock::cylc {

struct Mapped {
    yout::Node doc = yout::Node::map();
    int not_carried = 0;  // settings left as comments
    bool has_graph = false;
};

// name: the workflow's name; source: the file, for the header comment.
Mapped to_tock(const Section& root, const std::string& name, const std::string& source);

}  // namespace tock::cylc
